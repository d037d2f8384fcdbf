// What importing the package costs a host app at start-up: the time and RSS of `await import(...)` of the main entry
// and of the register entry (telemetry off, as most users leave it), against `@opentelemetry/sdk-logs` alone (which
// both load anyway), each in a fresh Node process, the variants interleaved over rounds; medians and min-max.
// Target (issue 13): each entry adds at most 30 ms and 5 MB over sdk-logs alone.
// Wall time is what the target is about; the CPU time of the import (user + system, process.cpuUsage) is printed too,
// because on a loaded machine the wall time mostly measures waiting for a core (each module's file read is an
// event-loop turn), and the CPU time tells whether a change made the work itself smaller.
// Run: node bench/import.mjs [--rounds 21]   (needs dist/: npm run build)
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '21' } } });
const ROUNDS = Number(args.rounds);
const variants = {
  'sdk-logs alone': '@opentelemetry/sdk-logs',
  'main entry': 'otel-product-telemetry',
  'register entry': 'otel-product-telemetry/register',
};
// Measured inside the child, around the import only (Node's own start is the same for all and not ours).
const probe = (spec) =>
  `const r0 = process.memoryUsage().rss; const c0 = process.cpuUsage(); const t0 = performance.now(); await import(${JSON.stringify(spec)}); ` +
  `const ms = performance.now() - t0; const c = process.cpuUsage(c0); ` +
  `console.log(JSON.stringify({ ms, cpu: (c.user + c.system) / 1000, rss: process.memoryUsage().rss - r0 }));`;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|NODE_OPTIONS$)/.test(k)));

const results = Object.fromEntries(Object.keys(variants).map((k) => [k, { ms: [], cpu: [], rss: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, spec] of Object.entries(variants)) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe(spec)], { cwd: root, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    const { ms, cpu, rss } = JSON.parse(r.stdout.trim());
    results[name].ms.push(ms);
    results[name].cpu.push(cpu);
    results[name].rss.push(rss / 1024 / 1024);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const signed = (x, d) => `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(d)}`;
const range = (a, d) => `${Math.min(...a).toFixed(d)}-${Math.max(...a).toFixed(d)}`;
const base = results['sdk-logs alone'];
console.log(`import cost, ${ROUNDS} rounds, fresh process each (median, min-max)`);
console.log('variant          import ms (median, range)   CPU ms (median, range)   RSS MB (median, range)   over sdk-logs alone');
for (const [name, r] of Object.entries(results)) {
  const dms = median(r.ms) - median(base.ms);
  const dcpu = median(r.cpu) - median(base.cpu);
  const drss = median(r.rss) - median(base.rss);
  const over = name === 'sdk-logs alone' ? '' : `${signed(dms, 1)} ms, ${signed(drss, 1)} MB (target <= 30 ms, <= 5 MB); CPU ${signed(dcpu, 1)} ms`;
  console.log(
    `${name.padEnd(16)} ${median(r.ms).toFixed(1).padStart(7)} (${range(r.ms, 1)})`.padEnd(44) +
      `${median(r.cpu).toFixed(1).padStart(6)} (${range(r.cpu, 1)})`.padEnd(25) +
      `${median(r.rss).toFixed(1).padStart(6)} (${range(r.rss, 1)})`.padEnd(25) +
      over,
  );
}
console.log(`load average during the run: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')} (${(await import('node:os')).availableParallelism()} cores)`);
