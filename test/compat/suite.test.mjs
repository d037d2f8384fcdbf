// The behaviour suite of the compatibility matrix (run by test/compat/run.sh inside a scratch app that installed the
// packed package beside one OTel JS release line). Everything here goes through real child processes, the real
// NodeSDK of that line, real files and the package's own collector over loopback HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const LINE = process.env.OTEL_LINE ?? '?';
const CLI = join(HERE, 'node_modules/otel-product-telemetry/dist/cli.cjs');
const SCENARIO = `compat-app-${LINE}`; // the default scenario: the host package's name

const made = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'opt-compat-t-'));
  made.push(d);
  return d;
};
const lines = (dir, scenario) => {
  const f = join(dir, `${scenario}.jsonl`);
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

/** A child process with a clean environment: nothing TELEMETRY_*, OTEL_* or DO_NOT_TRACK leaks in from outside. */
function run(file, { env = {}, nodeArgs = [], timeoutMs = 30_000 } = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|NODE_OPTIONS$)/.test(k)));
  const merged = { ...clean, OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', ...env };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, join(HERE, 'apps', file)], { cwd: HERE, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
const json = (r) => {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
};

// The package's own collector (its CLI, `serve`), on a free loopback port.
let collector;
let collectorUrl;
let collectorDir;
before(async () => {
  collectorDir = tmp();
  collector = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--dir', collectorDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TELEMETRY_ENABLED: '' } });
  collectorUrl = await new Promise((resolve, reject) => {
    let out = '';
    collector.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    collector.on('exit', (code) => reject(new Error(`collector exited ${code}: ${out}`)));
  });
});
after(async () => {
  if (collector && collector.exitCode === null && collector.signalCode === null) {
    const gone = new Promise((r) => collector.once('exit', r));
    collector.kill('SIGTERM');
    await gone;
  }
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

async function poll(check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test(`[${LINE}.x] NodeSDK spread: events, crash and usage are recorded; the host's env-configured log exporter still gets app logs, never telemetry`, async () => {
  const received = [];
  const otlp = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((r) => otlp.listen(0, '127.0.0.1', r));
  try {
    const dir = tmp();
    const out = json(
      await run('sdk-app.mjs', {
        env: {
          TELEMETRY_ENABLED: 'true',
          TELEMETRY_DIR: dir,
          OTEL_SERVICE_NAME: 'shop-a',
          OTEL_LOGS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://127.0.0.1:${otlp.address().port}/v1/logs`,
        },
      }),
    );
    assert.equal(out.acks.event.status, 201);
    assert.equal(out.acks.crash.status, 201);
    const stored = lines(dir, 'shop-a');
    assert.deepEqual(stored.map((l) => l.event), ['app_start', 'crash', 'usage_report']);
    // The span bridge: 4 incoming requests count 4, the outgoing calls count nothing.
    assert.deepEqual(Object.keys(out.usage), ['GET /orders/:id']);
    assert.match(JSON.stringify(stored[2].details), /"GET \/orders\/:id":\{?[^}]*4/);
    const sent = received.map((r) => r.body).join('\n');
    assert.match(sent, /hello app log/, 'the app log reached the OTLP exporter NodeSDK built from OTEL_LOGS_EXPORTER');
    assert.doesNotMatch(sent, /app_start|handled crash|usage_report/, 'telemetry records never go to the host\'s log exporters');
  } finally {
    otlp.close();
  }
});

test(`[${LINE}.x] OTEL_RESOURCE_ATTRIBUTES: one scenario for events and traces; deployment.environment.name is the environment`, async () => {
  const dir = tmp();
  const out = json(
    await run('sdk-app.mjs', {
      env: {
        TELEMETRY_ENABLED: 'true',
        TELEMETRY_DIR: dir,
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=shop,deployment.environment.name=staging',
        TRACES_URL: `${collectorUrl}/v1/traces`,
      },
    }),
  );
  assert.equal(out.acks.event.status, 201);
  assert.equal(out.acks.crash.recorded, false, 'a crash outside production is not recorded');
  assert.deepEqual(lines(dir, 'shop').map((l) => l.event), ['app_start', 'usage_report']);
  const summary = await poll(async () => {
    const r = await fetch(`${collectorUrl}/api/v1/telemetry/shop`);
    const text = await r.text();
    return r.status === 200 && text.includes('GET /orders/:id') ? text : undefined;
  });
  assert.ok(summary, 'the traces were counted under the same scenario "shop"');
  assert.match(summary, /"GET \/orders\/:id":\{?[^}]*4/);
});

test(`[${LINE}.x] resource: the spread leaves the host's resource as it was; our detector adds plain values when asked`, async () => {
  const env = { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: tmp() };
  const none = json(await run('sdk-app.mjs', { env: { ...env, MODE: 'none' } })).resource;
  const spread = json(await run('sdk-app.mjs', { env: { ...env, MODE: 'spread' } })).resource;
  const detectors = json(await run('sdk-app.mjs', { env: { ...env, MODE: 'detectors' } })).resource;
  assert.ok(Object.keys(none).length > 3);
  assert.deepEqual(Object.keys(spread).sort(), Object.keys(none).sort());
  for (const key of Object.keys(none)) assert.ok(key in detectors, `NodeSDK's default attribute ${key} kept`);
  assert.match(detectors['app.installation.id'], /^[0-9a-f-]{36}$/);
  assert.equal(detectors['process.runtime.name'], 'nodejs');
  assert.ok(!Object.values(detectors).includes('<promise>'), 'no promise-valued attributes');
});

for (const flag of ['--import', '--require']) {
  test(`[${LINE}.x] zero code: ${flag} otel-product-telemetry/register records and keeps the exit status`, async () => {
    const dir = tmp();
    const r = await run('plain-app.mjs', { nodeArgs: [flag, 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, EXIT_CODE: '3' } });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(lines(dir, SCENARIO).map((l) => l.details.n), [0, 1, 2]);
  });
}

test(`[${LINE}.x] crash capture: the crash is recorded, the crash itself is unchanged`, async () => {
  const dir = tmp();
  const env = { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, THROW: '1' };
  const withUs = await run('plain-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env });
  const without = await run('plain-app.mjs', { env: { ...env, TELEMETRY_DIR: tmp() } });
  assert.equal(withUs.code, 1);
  assert.equal(withUs.code, without.code);
  assert.match(withUs.stderr, /uncaught on purpose/);
  const crash = lines(dir, SCENARIO).find((l) => l.event === 'crash');
  assert.ok(crash, 'crash line stored');
  assert.equal(crash.details.message, 'uncaught on purpose');
});

test(`[${LINE}.x] uploader: events reach the collector`, async () => {
  const dir = tmp();
  const scenario = `upload-${LINE}`;
  const r = await run('plain-app.mjs', {
    nodeArgs: ['--import', 'otel-product-telemetry/register'],
    env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: scenario, TELEMETRY_UPLOAD_URL: `${collectorUrl}/api/v1/telemetry/upload` },
  });
  assert.equal(r.code, 0, r.stderr);
  const stored = await poll(() => lines(collectorDir, scenario).length >= 3 && lines(collectorDir, scenario));
  assert.ok(stored, `collector stored the uploaded events (stderr: ${r.stderr})`);
  assert.deepEqual(stored.map((l) => l.details.n), [0, 1, 2]);
});

test(`[${LINE}.x] usage report: counts reach the store at exit`, async () => {
  const dir = tmp();
  const r = await run('counting-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir } });
  assert.equal(r.code, 0, r.stderr);
  const report = lines(dir, SCENARIO).find((l) => l.event === 'usage_report');
  assert.ok(report, 'usage_report stored');
  const text = JSON.stringify(report.details);
  assert.match(text, /"CreateOrder":\{?[^}]*3/);
  assert.match(text, /"orders-exported":\{?[^}]*20/);
});

test(`[${LINE}.x] no pipeline in the process: "not recorded", said once, never a 201`, async () => {
  const dir = tmp();
  const r = await run('plain-app.mjs', { env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, PRINT_ACKS: '1' } });
  assert.equal(r.code, 0, r.stderr);
  const acks = JSON.parse(r.stdout);
  assert.deepEqual(acks.map((a) => a.recorded), [false, false, false]);
  assert.equal(r.stderr.match(/no otel-product-telemetry pipeline/g)?.length, 1, r.stderr);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.jsonl')), []);
});

test(`[${LINE}.x] invalid variables never stop the host: said once, safe reading`, async () => {
  const dnt = tmp();
  const a = await run('plain-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dnt, DO_NOT_TRACK: 'please' } });
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stderr.match(/DO_NOT_TRACK="please"/g)?.length, 1, a.stderr);
  assert.deepEqual(lines(dnt, SCENARIO), [], 'DO_NOT_TRACK in doubt: nothing recorded');
  const off = tmp();
  const b = await run('plain-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: off, OTEL_SDK_DISABLED: 'garbage', TELEMETRY_FLUSH_INTERVAL_MS: 'soon' } });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stderr.match(/OTEL_SDK_DISABLED="garbage"/g)?.length, 1, b.stderr);
  assert.equal(b.stderr.match(/TELEMETRY_FLUSH_INTERVAL_MS="soon"/g)?.length, 1, b.stderr);
  assert.equal(lines(off, SCENARIO).length, 3, 'OTEL_SDK_DISABLED is true only for "true" (the OTel specification)');
});

test(`[${LINE}.x] register honours OTEL_LOG_LEVEL: upload failures are visible, and silent without it`, async () => {
  const env = { TELEMETRY_ENABLED: 'true', TELEMETRY_UPLOAD_URL: 'http://127.0.0.1:9/api/v1/telemetry/upload', TELEMETRY_SHUTDOWN_TIMEOUT_MS: '500' };
  const loud = await run('plain-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { ...env, TELEMETRY_DIR: tmp(), OTEL_LOG_LEVEL: 'info' } });
  assert.equal(loud.code, 0, loud.stderr);
  assert.match(loud.stderr, /otel-product-telemetry: upload POST http:\/\/127\.0\.0\.1:9\/\S+ \(3 events\).*attempt 1 failed/);
  const quiet = await run('plain-app.mjs', { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { ...env, TELEMETRY_DIR: tmp() } });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
});

test(`[${LINE}.x] the collector's GET /metrics: its own telemetry through this line's OTel metrics SDK`, async () => {
  // Uploads of the tests above went through this collector (events stored).
  const r = await fetch(`${collectorUrl}/metrics`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  assert.match(text, /product_telemetry_collector_events_total\{[^}]*outcome="stored"[^}]*\} [1-9]/);
  assert.match(text, /http_server_request_duration_count\{[^}]*http_route="\/api\/v1\/telemetry\/upload"/);
});
