import { parseIsoTimestamp } from '../core/time.js';

// Date part → epoch ms of its midnight UTC, cached (bounded): uploads and stored files repeat few dates, and
// Date.parse per event costs about as much as the rest of validation.
const days = new Map<string, number>();
// The last day asked for: an upload's timestamps mostly share one date, and `startsWith` spares the slice and lookup.
let lastDay = '';
let lastDayMs = Number.NaN;

function dayMillisOf(s: string): number {
  if (lastDay !== '' && s.startsWith(lastDay)) return lastDayMs;
  const date = s.slice(0, 10);
  const ms = dayMillis(date);
  if (Number.isFinite(ms)) {
    lastDay = date;
    lastDayMs = ms;
  }
  return ms;
}

function dayMillis(date: string): number {
  let ms = days.get(date);
  if (ms === undefined) {
    ms = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(date + 'T00:00:00Z') : Number.NaN;
    if (days.size >= 4096) days.clear();
    days.set(date, ms);
  }
  return ms;
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * ISO 8601 → epoch ms, with a fast path for the forms the pipeline itself writes and most clients send
 * (`YYYY-MM-DDTHH:MM:SSZ`, `YYYY-MM-DDTHH:MM:SS.sssZ`); everything else goes through `parseIsoTimestamp`, whose
 * answers the fast path reproduces. Returns undefined when the text is not an accepted timestamp.
 */
export function millisFromIso(s: string): number | undefined {
  const n = s.length;
  if ((n === 24 || n === 20) && s.charCodeAt(n - 1) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    const hh = digits2(s, 11);
    const mm = digits2(s, 14);
    const ss = digits2(s, 17);
    let frac = 0;
    let ok = hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59 && ss >= 0 && ss <= 59;
    if (ok && n === 24) {
      const d1 = digits2(s, 20);
      const d2 = s.charCodeAt(22) - 48;
      ok = s.charCodeAt(19) === 46 && d1 >= 0 && d2 >= 0 && d2 <= 9;
      frac = d1 * 10 + d2;
    }
    if (ok) {
      const day = dayMillisOf(s);
      if (Number.isFinite(day)) return day + ((hh * 60 + mm) * 60 + ss) * 1000 + frac;
    }
  }
  return parseIsoTimestamp(s);
}
