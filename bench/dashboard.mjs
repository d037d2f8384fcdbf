// Dashboard benchmark (issue 14): the first load of the dashboard served by the collector, in real Chromium
// (/usr/bin/chromium through playwright-core), against a local collector started as users start it
// (`node dist/cli.cjs serve`) and seeded through the upload route (test/dashboard/seed.ts: 3 scenarios, 2,800 events).
// Per round, each in a fresh browser context (cold cache), interleaved:
//   overview   GET / until the overview is on screen (every card with its numbers and sparkline: the page's own
//              performance mark `dashboard:overview`, taken after the render), bytes transferred on the wire
//              (CDP Network encodedDataLength: headers + bodies as sent, gzip included), requests, and the page's
//              main-thread CPU (CDP Performance TaskDuration, ScriptDuration);
//   baseline   the same browser loading the collector's GET /healthz (a tiny JSON document): the floor of a
//              navigation on this machine, measured in the same run;
//   reload     the overview again in the same context (warm cache: hashed assets come from the cache, immutable).
// Prints medians with min-max over the rounds, the overview / baseline ratio, and the targets (< 250 KB, < 1 s).
// Run: npm run build && node --import tsx bench/dashboard.mjs [--rounds 9] [--url http://127.0.0.1:PORT]
// (--url: measure an already running collector, seeded by you, instead of starting one.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { seed, seedEvents } from '../test/dashboard/seed.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, url: { type: 'string' } } });
const ROUNDS = Number(args.rounds);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dir = mkdtempSync(join(tmpdir(), 'bench-dashboard-'));
const child = args.url !== undefined ? undefined : spawn(process.execPath, [join(ROOT, 'dist', 'cli.cjs'), 'serve', '--port', '0', '--dir', join(dir, 'data')], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = args.url ?? await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`collector exited ${code}: ${out}`)));
});
if (child !== undefined) await seed(url, seedEvents(Date.now()));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });

/** Load `path` in `page`, wait until `ready` holds, and measure it. */
async function load(page, path, ready) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Performance.enable');
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    requests++;
  });
  const before = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const started = performance.now();
  await page.goto(`${url}${path}`);
  const shown = await ready(page);
  const wall = performance.now() - started;
  // Let the last responses finish so their bytes are counted.
  await page.waitForLoadState('networkidle');
  const after = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  await cdp.detach();
  return { shown, wall, bytes, requests, taskMs: (after.TaskDuration - before.TaskDuration) * 1000, scriptMs: (after.ScriptDuration - before.ScriptDuration) * 1000 };
}

const overviewShown = async (page) => {
  await page.waitForFunction(() => performance.getEntriesByName('dashboard:overview').length > 0 && document.querySelectorAll('.scenario-card .spark canvas').length === document.querySelectorAll('.scenario-card').length, undefined, { polling: 'raf' });
  return page.evaluate(() => performance.getEntriesByName('dashboard:overview')[0].startTime);
};
const baselineShown = async (page) => page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd || performance.now());

const results = { overview: [], baseline: [], reload: [] };
for (let round = 0; round < ROUNDS + 1; round++) {
  // Alternate which goes first, so neither always runs on a machine the other just warmed.
  const order = round % 2 === 0 ? ['overview', 'baseline'] : ['baseline', 'overview'];
  for (const variant of order) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const r = variant === 'overview' ? await load(page, '/', overviewShown) : await load(page, '/healthz', baselineShown);
    if (variant === 'overview') {
      const again = await load(page, '/', overviewShown);
      if (round > 0) results.reload.push(again);
    }
    if (round > 0) results[variant].push(r); // round 0 warms the collector and the browser binary
    await context.close();
  }
}
await browser.close();
if (child !== undefined) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
rmSync(dir, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs, unit, digits = 0) => `${median(xs).toFixed(digits)} ${unit} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
console.log(`dashboard first load, ${ROUNDS} rounds (median, min-max), chromium ${browser.version?.() ?? ''} against ${url}`);
for (const [name, rs] of Object.entries(results)) {
  console.log(
    `${name.padEnd(9)} shown at ${fmt(rs.map((r) => r.shown), 'ms')}  wall ${fmt(rs.map((r) => r.wall), 'ms')}  transferred ${fmt(rs.map((r) => r.bytes / 1024), 'KB', 1)} in ${median(rs.map((r) => r.requests))} requests  main-thread CPU ${fmt(rs.map((r) => r.taskMs), 'ms')} (script ${fmt(rs.map((r) => r.scriptMs), 'ms')})`,
  );
}
const ov = median(results.overview.map((r) => r.shown));
const base = median(results.baseline.map((r) => r.shown));
const kb = median(results.overview.map((r) => r.bytes / 1024));
console.log(`overview / baseline (time shown): ${(ov / base).toFixed(2)}x`);
console.log(`targets: first load ${kb.toFixed(1)} KB < 250 KB: ${kb < 250 ? 'met' : 'NOT met'}; overview shown ${ov.toFixed(0)} ms < 1000 ms: ${ov < 1000 ? 'met' : 'NOT met'}`);
