#!/usr/bin/env node
// The cost of the insights rollups' total memory bound (TELEMETRY_INSIGHTS_MAX_MB, issue 14) on the add path.
//
//   node bench/insights-bound.mjs [--events 1000000] [--rounds 5] [--bound-mb 20]
//
// Feeds the same events (3 scenarios, 30 days in time order, 5,000 installations, the bench's details) into an
// InsightsBook with a bound far above what they need ("unbounded") and one they pass (--bound-mb: the oldest hours
// are dropped again and again), alternating the order per round, and prints per variant the median and min-max
// µs per event, the ratio of the medians, the estimate at the end and the slots dropped.
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '5' },
    'bound-mb': { type: 'string', default: '20' },
  },
});
const { InsightsBook } = await import('../collector/stores/insights/InsightsBook.ts');
const N = Number(args.events);
const MB = 1024 * 1024;
const now = Date.now();
const EVENTS = ['app_start', 'command', 'crash', 'update_failed', 'ready', 'settings_changed'];
const events = Array.from({ length: N }, (_, i) => {
  const scenario = ['a', 'b', 'c'][i % 3];
  const timestamp = now - 30 * 86_400_000 + Math.floor((i / N) * 30 * 86_400_000);
  return { scenario, event: EVENTS[i % 6], timestamp, installationId: `inst-${(i * 7919) % 5000}`, deploymentId: `dep-${i % 5}`, details: { version: `1.${i % 12}.0`, platform: ['linux', 'darwin', 'win32'][i % 3] } };
});

function run(maxBytes) {
  const book = new InsightsBook({ maxBytes });
  const t0 = process.hrtime.bigint();
  for (const e of events) book.addEvent(e.scenario, e);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const s = book.stats();
  return { us, estimateMB: s.estimatedBytes / MB, dropped: s.droppedSlots };
}

const variants = { unbounded: 1024 * 1024 * MB, bounded: Number(args['bound-mb']) * MB };
const results = { unbounded: [], bounded: [] };
run(variants.unbounded); // warm-up
for (let r = 0; r < Number(args.rounds); r++) {
  const order = r % 2 === 0 ? ['unbounded', 'bounded'] : ['bounded', 'unbounded'];
  for (const v of order) results[v].push(run(variants[v]));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [v, rs] of Object.entries(results)) {
  const us = rs.map((x) => x.us);
  const last = rs[rs.length - 1];
  console.log(`${v.padEnd(9)} ${median(us).toFixed(3)} µs/event (${Math.min(...us).toFixed(3)}-${Math.max(...us).toFixed(3)}), estimate ${last.estimateMB.toFixed(1)} MiB, slots dropped ${last.dropped}`);
}
console.log(`bounded / unbounded: ${(median(results.bounded.map((x) => x.us)) / median(results.unbounded.map((x) => x.us))).toFixed(2)}x per event (${N} events, bound ${args['bound-mb']} MiB, ${args.rounds} rounds)`);
