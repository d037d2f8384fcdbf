// Pipeline benchmark (issue 2): telemetry.event() → bytes in the JSONL files, against two baselines measured in the
// same process: the ceiling (JSON.stringify + buffered append of the same lines) and the stock SDK pipeline
// (BatchLogRecordProcessor + a minimal JSONL exporter). Also: cost per call when telemetry is off, and a tight loop
// that never yields. Run: node --expose-gc bench/pipeline.mjs [--events 1000000] [--rounds 5]
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { productTelemetry, createTelemetryInstance } from '../dist/index.js';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' } } });
const N = Number(args.events);
const ROUNDS = Number(args.rounds);
const SCENARIOS = ['picker-wheel', 'shared-auth', 'checkout'];
const YIELD_EVERY = 1000;
const gc = globalThis.gc ?? (() => {});
const yieldNow = () => new Promise((r) => setImmediate(r));

function dirBytes(dir) {
  let n = 0;
  for (const f of readdirSync(dir)) if (f.endsWith('.jsonl')) n += statSync(join(dir, f)).size;
  return n;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Tracks peak RSS while a variant runs (sampled every `every` events; cheap). */
class Peak {
  max = process.memoryUsage.rss();
  sample() {
    const r = process.memoryUsage.rss();
    if (r > this.max) this.max = r;
  }
}

// ---- ours: the real pipeline behind the public API ----
async function runOurs(n, { yielding = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ours-'));
  const pt = productTelemetry({ enabled: true, dir, scenario: 'picker-wheel' });
  const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
  const t = createTelemetryInstance({ loggerProvider: provider });
  const peak = new Peak();
  gc();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    t.event({ event: 'app_start', scenario: SCENARIOS[i % 3], deployment_id: 'deploy-123', version: '1.0.0', n: i });
    if ((i + 1) % YIELD_EVERY === 0) {
      peak.sample();
      if (yielding) await yieldNow();
    }
  }
  await provider.forceFlush();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  peak.sample();
  const status = pt.status();
  const dropped = Object.values(status.dropped).reduce((a, b) => a + b, 0);
  const bytes = dirBytes(dir);
  await provider.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { eps: n / secs, dropped, peakRss: peak.max, bytes };
}

// ---- ceiling: JSON.stringify + buffered append of the same lines ----
async function runCeiling(n) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ceil-'));
  const fds = SCENARIOS.map((s) => openSync(join(dir, `${s}.jsonl`), 'a'));
  const bufs = ['', '', ''];
  const peak = new Peak();
  gc();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    bufs[k] += JSON.stringify({ ts: new Date().toISOString(), scenario: SCENARIOS[k], deployment_id: 'deploy-123', event: 'app_start', details: { version: '1.0.0', n: i }, id: randomUUID() }) + '\n';
    if (bufs[k].length >= 65536) {
      writeSync(fds[k], bufs[k]);
      bufs[k] = '';
    }
    if ((i + 1) % YIELD_EVERY === 0) {
      peak.sample();
      await yieldNow();
    }
  }
  for (let k = 0; k < 3; k++) if (bufs[k]) writeSync(fds[k], bufs[k]);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  fds.forEach((fd) => closeSync(fd));
  const bytes = dirBytes(dir);
  rmSync(dir, { recursive: true, force: true });
  return { eps: n / secs, dropped: 0, peakRss: peak.max, bytes };
}

// ---- stock: BatchLogRecordProcessor + a minimal JSONL exporter ----
class MinimalJsonlExporter {
  constructor(dir) {
    this.dir = dir;
    this.fds = new Map();
    this.count = 0;
  }
  fd(s) {
    let fd = this.fds.get(s);
    if (fd === undefined) this.fds.set(s, (fd = openSync(join(this.dir, `${s}.jsonl`), 'a')));
    return fd;
  }
  export(records, cb) {
    const out = new Map();
    for (const r of records) {
      const s = (r.attributes['product_telemetry.scenario'] ?? r.attributes['telemetry.scenario']);
      const line = JSON.stringify({ ts: new Date(r.hrTime[0] * 1000 + r.hrTime[1] / 1e6).toISOString(), scenario: s, deployment_id: r.attributes['deployment.id'], event: r.eventName, details: r.body, id: randomUUID() }) + '\n';
      out.set(s, (out.get(s) ?? '') + line);
    }
    for (const [s, text] of out) writeSync(this.fd(s), text);
    this.count += records.length;
    cb({ code: 0 });
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    for (const fd of this.fds.values()) closeSync(fd);
    return Promise.resolve();
  }
}

async function runStock(n, { yielding = true, maxQueueSize } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stock-'));
  const exporter = new MinimalJsonlExporter(dir);
  const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter, ...(maxQueueSize ? { maxQueueSize } : {}) })] });
  const logger = provider.getLogger('stock');
  const peak = new Peak();
  gc();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    logger.emit({ eventName: 'app_start', severityNumber: SeverityNumber.INFO, attributes: { 'product_telemetry.scenario': SCENARIOS[i % 3], 'deployment.id': 'deploy-123' }, body: { version: '1.0.0', n: i } });
    if ((i + 1) % YIELD_EVERY === 0) {
      peak.sample();
      if (yielding) await yieldNow();
    }
  }
  await provider.forceFlush();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  peak.sample();
  const bytes = dirBytes(dir);
  await provider.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { eps: n / secs, dropped: n - exporter.count, peakRss: peak.max, bytes };
}

// ---- off: cost per call when telemetry is disabled ----
function runOff(n) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-off-'));
  const pt = productTelemetry({ enabled: false, dir });
  const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
  const t = createTelemetryInstance({ loggerProvider: provider });
  // warm-up, then measure
  for (let i = 0; i < 1e5; i++) t.event({ event: 'app_start', n: i });
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) t.event({ event: 'app_start', n: i });
  const ns = Number(process.hrtime.bigint() - start) / n;
  const empty = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length === 0;
  rmSync(dir, { recursive: true, force: true });
  return { ns, wroteNothing: empty };
}

const mb = (b) => (b / 1048576).toFixed(0);
const k = (x) => `${(x / 1000).toFixed(0)}k`;

console.log(`# pipeline bench: ${N.toLocaleString()} events over ${SCENARIOS.length} scenarios, yield every ${YIELD_EVERY}, ${ROUNDS} rounds (medians)`);
const res = { ours: [], ceiling: [], stock: [] };
const last = {};
for (let r = 0; r < ROUNDS; r++) {
  // Interleave variants so drift in machine load affects all alike.
  for (const [name, fn] of [['ceiling', runCeiling], ['stock', runStock], ['ours', runOurs]]) {
    const x = await fn(N);
    res[name].push(x.eps);
    last[name] = { ...(last[name] ?? {}), dropped: Math.max(last[name]?.dropped ?? 0, x.dropped), peakRss: Math.max(last[name]?.peakRss ?? 0, x.peakRss), bytes: x.bytes };
    console.log(`  round ${r + 1} ${name.padEnd(7)} ${k(x.eps)} events/s  dropped ${x.dropped}  peak RSS ${mb(x.peakRss)} MB  ${mb(x.bytes)} MB written`);
  }
}
const ours = median(res.ours);
const ceiling = median(res.ceiling);
const stock = median(res.stock);
console.log('\nvariant   events/s (median)  dropped  peak RSS');
for (const [name, eps] of [['ceiling', ceiling], ['stock', stock], ['ours', ours]]) console.log(`${name.padEnd(9)} ${k(eps).padStart(16)}  ${String(last[name].dropped).padStart(7)}  ${mb(last[name].peakRss).padStart(5)} MB`);
console.log(`ratio ours/stock   ${(ours / stock).toFixed(2)}x   (target >= 1.25x)`);
console.log(`ratio ours/ceiling ${((ours / ceiling) * 100).toFixed(0)}%    (target >= 65%)`);

const off = [];
for (let r = 0; r < ROUNDS; r++) off.push(runOff(10_000_000));
console.log(`off: ${median(off.map((o) => o.ns)).toFixed(1)} ns per telemetry.event() call (median of ${ROUNDS}; target < 100 ns); files written while off: ${off.every((o) => o.wroteNothing) ? 'none' : 'SOME'}`);

console.log(`\n# tight loop, ${N.toLocaleString()} events, never yields`);
const tightOurs = await runOurs(N, { yielding: false });
console.log(`ours                  ${k(tightOurs.eps)} events/s  dropped ${tightOurs.dropped}  peak RSS ${mb(tightOurs.peakRss)} MB (target: 0 dropped, < 150 MB)`);
const tightStock = await runStock(N, { yielding: false });
console.log(`stock default queue   ${k(tightStock.eps)} events/s  dropped ${tightStock.dropped} (${((tightStock.dropped / N) * 100).toFixed(1)}%)  peak RSS ${mb(tightStock.peakRss)} MB`);
gc();
const tightBig = await runStock(N, { yielding: false, maxQueueSize: N });
console.log(`stock queue=${N}   ${k(tightBig.eps)} events/s  dropped ${tightBig.dropped}  peak RSS ${mb(tightBig.peakRss)} MB`);
