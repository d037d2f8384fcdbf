// Pieces the store benchmarks share (bench/clickhouse.mjs, bench/clickhouse-details.mjs): CPU of another process,
// concurrent ingest into a store with its CPU per event, and median/min-max.
import { readFileSync } from 'node:fs';

/** CPU ms of a process from /proc (user + system), or undefined. */
export function procCpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Append `n` events (`batchAt(start, count)` makes them) in batches of `batch` from `concurrency` workers; events/s and
 * CPU µs per event of this process and, with `serverPid`, of that process. Throws unless every event was stored.
 */
export async function ingestInto(store, { n, batch, concurrency, batchAt, serverPid }) {
  const cpu0 = process.cpuUsage();
  const srv0 = serverPid ? procCpuMs(serverPid) : undefined;
  const started = performance.now();
  let next = 0;
  let stored = 0;
  const worker = async () => {
    while (next < n) {
      const start = next;
      const count = Math.min(batch, n - start);
      next += count;
      // Awaited before the +=: `stored += await ...` would read `stored` before the wait and lose other workers' counts.
      const r = await store.append(batchAt(start, count));
      stored += r.stored;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const s = (performance.now() - started) / 1000;
  if (stored !== n) throw new Error(`stored ${stored} of ${n}`);
  const cpu = process.cpuUsage(cpu0);
  const srv1 = serverPid ? procCpuMs(serverPid) : undefined;
  return { rate: n / s, nodeUs: (cpu.user + cpu.system) / n, serverUs: srv0 !== undefined && srv1 !== undefined ? ((srv1 - srv0) * 1000) / n : undefined };
}

/** Median (upper middle for an even count), min and max. */
export function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1] };
}

/** `median (min-max)` with `d` decimals. */
export const fmt = (x, d = 1) => `${x.median.toFixed(d)} (${x.min.toFixed(d)}-${x.max.toFixed(d)})`;
