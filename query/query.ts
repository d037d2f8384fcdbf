import { parseIsoTimestamp } from '../core/time.js';
import { parseStoredLine } from '../core/storedLine.js';
import { levelOfEvent, levelRank, type Level } from './level.js';
import type { LineFields } from './jsonLine.js';
import { couldBeInNumber, MAX_SEARCH_DEPTH, RawSearch } from './rawSearch.js';
import { SEARCH_FOUND, SEARCH_NOT_FOUND, type IndexOptions } from './lineIndex.js';
import { needleOf } from './scanner.js';

/** The filters of `logs` (and of the collector's events route). All optional; all must hold. */
export interface LogQuery {
  /** Minimum level (see level.ts for the rule). */
  level?: Level;
  /** Text that must occur in the event name or in a key or value of details (at any depth). */
  search?: string;
  /** Make `search` case-insensitive (default: case-sensitive, like grep). */
  ignoreCase?: boolean;
  /** Epoch ms bounds on the line's `ts`, both inclusive. Lines without a valid `ts` fail a time filter. */
  since?: number;
  until?: number;
  /** Event names to keep (any of them). */
  events?: readonly string[];
}

/** One stored line, parsed. Unknown fields are kept. */
export interface LogEntry {
  ts?: unknown;
  scenario?: unknown;
  deployment_id?: unknown;
  event: string;
  level?: unknown;
  details?: unknown;
  id?: unknown;
  [key: string]: unknown;
}

/** Parse one line; a string is the reason it is not a valid event line (the one rule: core/storedLine.ts). */
export function parseEntry(text: string): LogEntry | string {
  return parseStoredLine(text) as unknown as LogEntry | string;
}

// A needle can be searched in raw bytes only when JSON writes it unchanged: printable ASCII without the characters
// JSON may write as escapes (Go escapes <, > and &; PHP escapes /). A needle spelt with \u escapes in a line is not found.
const RAW_SAFE = /^[\x20-\x7e]+$/;
const ESCAPED = /["\\/<>&]/;

function rawSafe(text: string): boolean {
  return RAW_SAFE.test(text) && !ESCAPED.test(text);
}

export interface CompiledQuery {
  /**
   * How the scanner should index lines for this query: a needle every matching line contains (when one is sound),
   * validation of candidate lines, and whether the needle is the search text, so the index may search it itself.
   */
  scanOptions(): IndexOptions;
  /** Only a search the line index can decide (no event, level or time filter): direct output is possible. */
  readonly searchOnly: boolean;
  /** The filters on a parsed line (the reference semantics). */
  test(entry: LogEntry): boolean;
  /**
   * The same filters on a line validated by scanJsonLine (bytes [start, end) of `b`, fields located in `f`): decodes
   * only the fields a filter needs, and searches the bytes when the needle allows it, so a line is never parsed.
   */
  testLine(b: Buffer, start: number, end: number, f: LineFields, searched?: number): boolean;
}

/** A top-level string value (quotes included at [s, e)) as a string; undefined when the value is not a string. */
function stringAt(b: Buffer, s: number, e: number): string | undefined {
  if (s === -1 || b[s] !== 0x22) return undefined;
  for (let i = s + 1; i < e - 1; i++) if (b[i] === 0x5c) return JSON.parse(b.toString('utf8', s, e)) as string;
  return b.toString('utf8', s + 1, e - 1);
}

export function compileQuery(q: LogQuery): CompiledQuery {
  const minRank = q.level === undefined ? undefined : levelRank(q.level);
  const events = q.events && q.events.length > 0 ? new Set(q.events) : undefined;
  const ignoreCase = q.ignoreCase === true;
  const needle = q.search === undefined || q.search === '' ? undefined : ignoreCase ? q.search.toLowerCase() : q.search;
  const timed = q.since !== undefined || q.until !== undefined;

  const contains = ignoreCase ? (s: string) => s.toLowerCase().includes(needle!) : (s: string) => s.includes(needle!);
  const inValue = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return contains(v);
    if (typeof v === 'number' || typeof v === 'boolean') return contains(String(v));
    if (v === null || typeof v !== 'object' || depth > MAX_SEARCH_DEPTH) return false;
    if (Array.isArray(v)) {
      for (const x of v) if (inValue(x, depth + 1)) return true;
      return false;
    }
    const o = v as Record<string, unknown>;
    for (const k in o) if (contains(k) || inValue(o[k], depth + 1)) return true;
    return false;
  };

  // The byte search gives the parsed search's answer only for needles JSON writes unchanged, and case-sensitively.
  const raw = needle !== undefined && !ignoreCase && rawSafe(needle) ? new RawSearch(needle) : undefined;
  // The time filter, on a line's `ts` (a line without a valid one fails it). Shared by both tests.
  const inWindow = (ts: unknown): boolean => {
    const t = typeof ts === 'string' ? parseIsoTimestamp(ts) : undefined;
    if (t === undefined) return false;
    return (q.since === undefined || t >= q.since) && (q.until === undefined || t <= q.until);
  };
  const testParsed = (e: LogEntry): boolean => {
    if (events && !events.has(e.event)) return false;
    if (minRank !== undefined && levelRank(levelOfEvent(e.event, e.level)) < minRank) return false;
    if (timed && !inWindow(e.ts)) return false;
    if (needle !== undefined && !contains(e.event) && !inValue(e.details, 0)) return false;
    return true;
  };

  return {
    searchOnly: raw !== undefined && events === undefined && minRank === undefined && !timed,
    scanOptions() {
      if (needle !== undefined && rawSafe(needle)) {
        const n = needleOf(needle, ignoreCase);
        if (n !== undefined) return { needle: n, validate: true, searchFields: raw !== undefined, numericNeedle: couldBeInNumber(needle) };
      }
      if (events && events.size === 1) {
        const [name] = events;
        if (rawSafe(name!)) return { needle: needleOf(name!, false), validate: true };
      }
      return { validate: true };
    },
    test: testParsed,
    testLine(b, start, end, f, searched) {
      if (needle !== undefined && raw === undefined) {
        // A needle only the parsed search handles (ignore-case, escapable characters): parse, as before.
        const entry = JSON.parse(b.toString('utf8', start, end)) as LogEntry;
        return testParsed(entry);
      }
      if (events !== undefined || minRank !== undefined) {
        const event = stringAt(b, f.eventStart, f.eventEnd)!;
        if (events && !events.has(event)) return false;
        if (minRank !== undefined) {
          // A level that is not a string is no level (normalizeLevel), as in the parsed test.
          const own = stringAt(b, f.levelStart, f.levelEnd);
          if (levelRank(levelOfEvent(event, own)) < minRank) return false;
        }
      }
      if (timed && !inWindow(stringAt(b, f.tsStart, f.tsEnd))) return false;
      if (raw !== undefined) {
        // The line index may have searched already (lines.wat); else search the bytes here.
        if (searched === SEARCH_NOT_FOUND) return false;
        if (searched !== SEARCH_FOUND && !raw.inEvent(b, f) && !raw.inDetails(b, f)) return false;
      }
      return true;
    },
  };
}

/** The query as URL search parameters (for `logs --url` and the collector's events route). */
export function queryToParams(q: LogQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.level) p.set('level', q.level);
  if (q.search) p.set('search', q.search);
  if (q.ignoreCase) p.set('ignore_case', 'true');
  if (q.since !== undefined) p.set('since', new Date(q.since).toISOString());
  if (q.until !== undefined) p.set('until', new Date(q.until).toISOString());
  for (const e of q.events ?? []) p.append('event', e);
  return p;
}
