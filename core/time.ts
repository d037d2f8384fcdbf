import type { HrTime } from '@opentelemetry/api';

/**
 * ISO-8601 formatting from an OTel HrTime without `new Date().toISOString()` per event (which costs about as much
 * as the rest of serialisation): the `YYYY-MM-DDTHH:MM:SS.` prefix is cached per second and the milliseconds come
 * from a 1000-entry table. The prefix cache is direct-mapped over 64 seconds, so a batch of events from different
 * seconds (an upload to the collector) does not miss on every event; a miss builds the prefix from the day's
 * `YYYY-MM-DDT` (cached per day, direct-mapped over 16 days) and two-digit tables, again without a Date: uploads
 * spread over hours missed on nearly every event (bench/clickhouse.mjs, ~1.2 µs per event in the profile).
 */
const MS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const SLOTS = 64;
const cachedSeconds = new Float64Array(SLOTS).fill(Number.NaN);
const cachedPrefixes: string[] = new Array<string>(SLOTS).fill('');
const DAY_SLOTS = 16;
const cachedDays = new Float64Array(DAY_SLOTS).fill(Number.NaN);
const cachedDayPrefixes: string[] = new Array<string>(DAY_SLOTS).fill('');

export function formatHrTime(t: HrTime): string {
  let sec = t[0];
  let ns = t[1];
  // Before 1970, millisToHrTime (as @opentelemetry/core's) gives negative nanoseconds ([-1, -5e8] for -1.5 s): borrow
  // a second, so that the milliseconds are an index of MS (it wrote ".undefined" before) and the time is floored, as
  // hrTimeToMillis and the stores' ts_ms are.
  if (ns < 0) {
    sec -= 1;
    ns += 1e9;
  }
  const slot = sec & (SLOTS - 1);
  if (cachedSeconds[slot] !== sec) {
    // Beyond the Date range (and for NaN) toISOString throws, and the line is invalid: the same here.
    if (!(Math.abs(sec) <= 8.64e12)) throw new RangeError('Invalid time value');
    const day = Math.floor(sec / 86_400);
    const daySlot = day & (DAY_SLOTS - 1);
    if (cachedDays[daySlot] !== day) {
      // Up to the `T`: years outside 0000-9999 are written with a sign and six digits.
      const iso = new Date(day * 86_400_000).toISOString();
      cachedDayPrefixes[daySlot] = iso.slice(0, iso.indexOf('T') + 1);
      cachedDays[daySlot] = day;
    }
    const inDay = sec - day * 86_400;
    const hour = Math.floor(inDay / 3600);
    const minute = Math.floor((inDay - hour * 3600) / 60);
    cachedPrefixes[slot] = cachedDayPrefixes[daySlot]! + TWO[hour]! + ':' + TWO[minute]! + ':' + TWO[inDay - hour * 3600 - minute * 60]! + '.';
    cachedSeconds[slot] = sec;
  }
  return cachedPrefixes[slot]! + MS[Math.floor(ns / 1e6)];
}

/**
 * Epoch milliseconds to HrTime, exactly as `millisToHrTime` of `@opentelemetry/core` (whole seconds, nanoseconds
 * rounded); written here so host-side code takes no run-time value from that package (import cost, bench/import.mjs).
 */
export function millisToHrTime(epochMillis: number): HrTime {
  return [Math.trunc(epochMillis / 1000), Math.round((epochMillis % 1000) * 1e6)];
}

export function hrTimeToMillis(t: HrTime): number {
  return t[0] * 1000 + Math.floor(t[1] / 1e6);
}

// Accepts what users send: ISO 8601 with a date and time and a zone, or a date only. Rejects "yesterday" and friends
// that Date.parse would guess at.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Parse an ISO 8601 timestamp to epoch milliseconds, or return undefined when it is not one. */
export function parseIsoTimestamp(value: string): number | undefined {
  if (value.length > 40 || !ISO.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
