// Usage counters benchmark (issue 5): cost of telemetry.countCommand() for a known name on a hot path, against the
// floor measured in the same process (a bare Map<string,{count}> lookup + increment) and the common naive version
// (map.set(name, (map.get(name) ?? 0) + 1)); bytes allocated per call; the span bridge's onEnd per span; and
// getTelemetryData() with 500 counter names.
// Run: node --import tsx --expose-gc bench/usage.ts [--calls 10000000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { productTelemetry, telemetry, UsageSpanProcessor } from '../index.js';
import { usageState } from '../receivers/usage/usageState.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '10000000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.calls);
const ROUNDS = Number(args.rounds);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const NAMES = ['CreateOrder', 'CancelOrder', 'FetchExternalTasks', 'StartProcessInstance'];

function nsPerCall(fn: (i: number) => void, n = N): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

// Heap growth over a loop, with no gc inside it (garbage made by the loop is still counted). A constant that does
// not grow with the number of calls is one-time (JIT, inline caches), not allocation per call.
function heapGrowthKiB(fn: (i: number) => void, n: number): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) fn(i);
  return Math.max(0, process.memoryUsage().heapUsed - before) / 1024;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
const pt = productTelemetry({ dir, enabled: false, env: {} });

const floor = new Map<string, { count: number }>(NAMES.map((n) => [n, { count: 0 }]));
const naive = new Map<string, number>();
const variants: Record<string, (i: number) => void> = {
  'telemetry.countCommand(name)': (i) => telemetry.countCommand(NAMES[i & 3]!),
  'floor: map.get(name).count++': (i) => {
    floor.get(NAMES[i & 3]!)!.count++;
  },
  'naive: map.set(name, get + 1)': (i) => {
    const k = NAMES[i & 3]!;
    naive.set(k, (naive.get(k) ?? 0) + 1);
  },
};
for (const fn of Object.values(variants)) nsPerCall(fn, 1_000_000); // warm up

const results: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(variants)) (results[name] ??= []).push(nsPerCall(fn));
const api = median(results['telemetry.countCommand(name)']!);
const fl = median(results['floor: map.get(name).count++']!);
const nv = median(results['naive: map.set(name, get + 1)']!);
console.log(`countCommand, known name, ${N.toLocaleString('en')} calls x ${ROUNDS} rounds (median ns/call):`);
console.log(`  telemetry.countCommand(name)  ${api.toFixed(2)} ns`);
console.log(`  baseline floor (Map + cell)   ${fl.toFixed(2)} ns   ratio ${(api / fl).toFixed(2)}x`);
console.log(`  baseline naive (Map.set)      ${nv.toFixed(2)} ns   ratio ${(api / nv).toFixed(2)}x`);
const count = variants['telemetry.countCommand(name)']!;
console.log(`  heap growth, no gc in the loop: countCommand ${heapGrowthKiB(count, N).toFixed(0)} KiB over ${N.toLocaleString('en')} calls, ${heapGrowthKiB(count, 3 * N).toFixed(0)} KiB over ${(3 * N).toLocaleString('en')} (floor: ${heapGrowthKiB(variants['floor: map.get(name).count++']!, N).toFixed(0)} KiB)`);

// Span bridge: onEnd on real ended spans, against a processor that does nothing (same provider, same spans).
const SPANS = 200_000;
function spansNs(processor: UsageSpanProcessor | { onStart(): void; onEnd(): void; forceFlush(): Promise<void>; shutdown(): Promise<void> }): number {
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('bench');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SPANS; i++) tracer.startSpan(NAMES[i & 3]!).end();
  return Number(process.hrtime.bigint() - t0) / SPANS;
}
const noop = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
spansNs(noop);
spansNs(new UsageSpanProcessor({ env: {} }));
// Interleaved rounds, so both variants see the same GC and machine noise.
const bridgeRuns: number[] = [];
const noopRuns: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  bridgeRuns.push(spansNs(new UsageSpanProcessor({ env: {} })));
  noopRuns.push(spansNs(noop));
}
const withBridge = median(bridgeRuns);
const without = median(noopRuns);
console.log(`span start+end, ${SPANS.toLocaleString('en')} spans (median ns/span): with UsageSpanProcessor ${withBridge.toFixed(0)} ns, baseline no-op processor ${without.toFixed(0)} ns, ratio ${(withBridge / without).toFixed(2)}x`);

// Transparency: getTelemetryData() with 500 command names (what GET /telemetry/data costs).
const s = usageState();
s.commands.subtract(s.commands.snapshot());
for (let i = 0; i < 500; i++) telemetry.countCommand(`Command${i}`, i + 1);
const t0 = process.hrtime.bigint();
const REPS = 200;
let bytes = 0;
for (let i = 0; i < REPS; i++) bytes = JSON.stringify(pt.getTelemetryData()).length;
console.log(`getTelemetryData() with 500 commands: ${(Number(process.hrtime.bigint() - t0) / REPS / 1e3).toFixed(0)} µs per call, ${bytes} bytes of JSON`);

await pt.shutdown();
rmSync(dir, { recursive: true, force: true });
