// Pieces the store benchmarks share (bench/clickhouse.mjs, bench/clickhouse-details.mjs): their common options, the
// uploaded events they ingest, CPU of another process, concurrent ingest into a store with its CPU per event, and
// median/min-max.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * The options both store benchmarks take (--events --rounds --batch --concurrency --repeat --scenarios --installations
 * --days --before), with `defaults` and `extra` options of their own; numbers come back as numbers.
 */
export function storeBenchArgs(defaults = {}, extra = {}) {
  const d = { events: 1_000_000, rounds: 3, batch: 1000, concurrency: 8, repeat: 5, scenarios: 5, installations: 5000, days: 30, ...defaults };
  const options = { before: { type: 'string' }, ...extra };
  for (const [k, v] of Object.entries(d)) options[k] = { type: 'string', default: String(v) };
  const { values } = parseArgs({ options });
  const out = { ...values };
  for (const k of Object.keys(d)) out[k] = Number(values[k]);
  return out;
}

const FAILURES = ['crash', 'dependency_unreachable', 'migration_failed', 'health_check_failed'];

/**
 * Uploaded events as the collector's routes hand them to a store: event k of `n` at an even spread over `days` days
 * from 2025-01-01, scenario k mod `scenarios`, installation (k * 7919) mod `installations`, 2% failures (the four
 * failure events in turn), a third `app_start` and the rest `page_view`, seven deployments, client ids (UUIDv7, as
 * the uploader assigns), and `details(k, installation, failure)`. The sizes come from `storeBenchArgs` (`events`,
 * `days`, `scenarios`, `installations`). Returns `batchAt(start, count)` and the first time.
 */
export function uploadedEvents({ events: n, days, scenarios, installations }, uuidv7, details) {
  const T0 = Date.UTC(2025, 0, 1);
  const step = (days * 86_400_000) / n;
  const batchAt = (start, count) => {
    const out = new Array(count);
    for (let i = 0; i < count; i++) {
      const k = start + i;
      const failure = k % 50 === 7;
      const ts = T0 + Math.floor(k * step);
      const inst = (k * 7919) % installations;
      out[i] = {
        scenario: `scenario-${k % scenarios}`,
        event: failure ? FAILURES[k % FAILURES.length] : k % 3 === 0 ? 'app_start' : 'page_view',
        timestamp: ts,
        deploymentId: `deploy-${k % 7}`,
        installationId: `inst-${inst}`,
        id: uuidv7(ts),
        details: details(k, inst, failure),
      };
    }
    return out;
  };
  return { batchAt, T0 };
}

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
      // Each append in a task of its own, as in the collector (an upload's append runs in its request's I/O callback):
      // an append that resolves does not start the next one in the same run of microtasks, so a store's network I/O
      // (the ClickHouse store's lookups and INSERTs) can go out between appends, as it does when uploads arrive.
      await new Promise(setImmediate);
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
