import { parseIsoTimestamp } from '../core/time.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/**
 * A `--since`/`--until` value as epoch milliseconds: an ISO 8601 time (`2025-01-15T12:00:00Z`, `2025-01-15`) or a
 * duration before `now` (`30s`, `15m`, `2h`, `7d`, `1w`, combinable as `1h30m`). Returns undefined when it is neither.
 */
export function parseTimeBound(value: string, now: number = Date.now()): number | undefined {
  const v = value.trim();
  if (v === 'now') return now;
  if (RELATIVE.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return Number.isSafeInteger(ms) ? now - ms : undefined;
  }
  return parseIsoTimestamp(v);
}
