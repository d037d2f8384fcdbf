// Upload exporter benchmark (issue 4): events/s delivered from a JSONL store to the real collector over loopback by
// the Uploader (read the store, check each line, build the body, POST, persist the cursor per batch), against a
// baseline in the same run that POSTs the same pre-serialised batches with plain fetch (nothing read, checked or
// persisted), and a second reference posting them over node:http (the Uploader's own transport). All send JSON
// arrays of the same batch size, without gzip, one request at a time. Then the Uploader
// once more with gzip: events/s and bytes on the wire with and without gzip.
// The collector runs in its own child process; each round sends fresh ids (the collector drops duplicates by id).
// Rounds alternate baseline / uploader; the median of the rounds is printed.
//
// Run: node --import tsx bench/upload.mjs [--events 100000] [--batch 1000] [--rounds 3]     (smoke: --events 10000 --rounds 1)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Uploader } from '../exporters/upload/Uploader.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const ROUNDS = Number(args.rounds);
const UPLOAD_PATH = '/api/v1/telemetry/upload';

function startCollector(dir) {
  const env = { ...process.env, NO_COLOR: '1', TELEMETRY_PORT: '0', TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: dir };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k === 'TELEMETRY_AUTH_TOKEN') delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${out}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1] + UPLOAD_PATH, stop: () => new Promise((r) => { child.on('close', r); child.kill('SIGTERM'); }) });
      }
    });
  });
}

/** Store lines as the pipeline writes them (core/line.ts field order), about 230 bytes each. */
function storeText(prefix, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const sec = String(i % 60).padStart(2, '0');
    s += `{"ts":"2025-01-15T12:00:${sec}.000Z","scenario":"picker-wheel","deployment_id":"deploy-123","event":"${i % 10 === 9 ? 'dependency_unreachable' : 'app_start'}","details":{"version":"1.0.0","platform":"win-x64","startup_ms":${5000 + i}},"id":"${prefix}-${i}"}\n`;
  }
  return s;
}

/** The baseline's batches: the same lines as JSON array bodies, prepared before the clock starts. */
function batches(text) {
  const lines = text.split('\n').filter(Boolean);
  const out = [];
  for (let i = 0; i < lines.length; i += BATCH) out.push(Buffer.from(`[${lines.slice(i, i + BATCH).join(',')}]`));
  return out;
}

async function baseline(url, bodies) {
  const t0 = performance.now();
  for (const body of bodies) {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await res.text();
    if (res.status !== 200) throw new Error(`baseline got ${res.status}`);
  }
  return performance.now() - t0;
}

/** A second reference: the same bodies over node:http with a keep-alive agent (the Uploader's transport is node:http). */
async function baselineHttp(url, bodies) {
  const agent = new http.Agent({ keepAlive: true });
  const t0 = performance.now();
  for (const body of bodies) {
    const status = await new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 200) throw new Error(`node:http baseline got ${status}`);
  }
  const ms = performance.now() - t0;
  agent.destroy();
  return ms;
}

async function uploader(url, text, gzip) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-upload-'));
  writeFileSync(join(dir, 'picker-wheel.jsonl'), text);
  const u = new Uploader({ dir, url, gzip, batchSize: BATCH, intervalMs: 3_600_000, initialDelayMs: 3_600_000, timeoutMs: 30_000 }).start();
  const t0 = performance.now();
  await u.runOnce();
  const ms = performance.now() - t0;
  const s = u.status();
  await u.shutdown();
  rmSync(dir, { recursive: true, force: true });
  if (s.sent_events !== EVENTS || s.pending_bytes !== 0) throw new Error(`uploader sent ${s.sent_events}/${EVENTS}, pending ${s.pending_bytes}, error ${s.last_error}`);
  return { ms, wire: s.sent_bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (ms) => Math.round((EVENTS / ms) * 1000);

const serverDir = mkdtempSync(join(tmpdir(), 'bench-upload-collector-'));
const collector = await startCollector(serverDir);
try {
  // warm-up (JIT on both sides, keep-alive connections)
  await baseline(collector.url, batches(storeText('warm-b', Math.min(EVENTS, 5 * BATCH))));
  const base = [];
  const baseHttp = [];
  const ours = [];
  const oursGzip = [];
  let plainWire = 0;
  let gzipWire = 0;
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await baseline(collector.url, batches(storeText(`b${r}`, EVENTS))));
    baseHttp.push(await baselineHttp(collector.url, batches(storeText(`h${r}`, EVENTS))));
    const plain = await uploader(collector.url, storeText(`u${r}`, EVENTS), false);
    ours.push(plain.ms);
    plainWire = plain.wire;
    const gz = await uploader(collector.url, storeText(`g${r}`, EVENTS), true);
    oursGzip.push(gz.ms);
    gzipWire = gz.wire;
  }
  const b = rate(median(base));
  const o = rate(median(ours));
  const g = rate(median(oursGzip));
  const storeBytes = Buffer.byteLength(storeText('u0', EVENTS));
  console.log(`upload bench: ${EVENTS} events of ~${Math.round(storeBytes / EVENTS)} B, batches of ${BATCH}, JSON array, sequential requests, real collector in a child process, median of ${ROUNDS} round(s)`);
  console.log(`  baseline (plain fetch of pre-serialised batches): ${b.toLocaleString('en-US')} events/s`);
  const h = rate(median(baseHttp));
  console.log(`  reference: node:http keep-alive, same bodies:     ${h.toLocaleString('en-US')} events/s (the Uploader's transport is node:http)`);
  console.log(`  Uploader from the JSONL store, no gzip:           ${o.toLocaleString('en-US')} events/s (${((o / h) * 100).toFixed(1)}% of the node:http reference)`);
  console.log(`  ratio: ${((o / b) * 100).toFixed(1)}% of baseline (target >= 70%)`);
  console.log(`  Uploader with gzip:                               ${g.toLocaleString('en-US')} events/s (${((g / b) * 100).toFixed(1)}% of baseline)`);
  console.log(`  bytes on the wire: ${plainWire.toLocaleString('en-US')} without gzip, ${gzipWire.toLocaleString('en-US')} with gzip (${((gzipWire / plainWire) * 100).toFixed(1)}%)`);
  const stored = readFileSync(join(serverDir, 'picker-wheel.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  console.log(`  collector stored ${stored.toLocaleString('en-US')} lines (expected ${(ROUNDS * 4 * EVENTS + Math.min(EVENTS, 5 * BATCH)).toLocaleString('en-US')})`);
} finally {
  await collector.stop();
  rmSync(serverDir, { recursive: true, force: true });
}
