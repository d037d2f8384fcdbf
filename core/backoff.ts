/**
 * Exponential backoff with "equal jitter", shared by the uploader (exporters/upload) and the ClickHouse exporter:
 * half of the exponential delay is fixed, half random, so many clients that failed together do not come back
 * together, and no retry comes sooner than half the nominal delay. `failures` counts consecutive failures (1 for the
 * first); the delay doubles per failure from `baseMs` up to `maxMs`.
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
