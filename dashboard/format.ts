import type { InstallationCount } from '../query/insights/types.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Whole numbers with thousands separators ("12,345"): exact, so the page shows what the API answered. */
export function count(n: number): string {
  return integer.format(n);
}

/** An installation count; an estimate (more ids than counted exactly) is marked "≈". */
export function installations(c: InstallationCount): string {
  return `${c.estimated ? '≈' : ''}${count(c.count)}`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const p = (part / whole) * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

/** An ISO time as local date and time (the ISO value stays in the element's datetime attribute). */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "3 min ago", "2 h ago", "5 d ago". */
export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
