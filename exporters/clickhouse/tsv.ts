import { detailsIndexTsv } from './detailsIndex.js';
import type { EventRow } from './rows.js';

/**
 * ClickHouse's `TabSeparated` format, both ways. Inserts and key lookups use it instead of `JSONEachRow`: it is the
 * cheapest text format to write in JavaScript (no quoting, only `\\`, tab, newline and carriage return are escaped)
 * and the cheapest for ClickHouse to parse (measured: bench/clickhouse.mjs, README "ClickHouse store").
 */

const SPECIAL = /[\t\n\r\\]/;
const SPECIAL_ALL = /[\t\n\r\\]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

/** A string as a TabSeparated field (`\N` is NULL, so a backslash is always escaped). */
export function tsvField(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

/** A Nullable(String) field: `\N` for null. */
function nullableField(s: string | null): string {
  return s === null ? '\\N' : tsvField(s);
}

/**
 * `details` is JSON text: JSON.stringify never leaves a raw tab, newline or carriage return in it, so only its
 * backslashes (JSON's own escapes) need doubling.
 */
function jsonField(s: string): string {
  return s.indexOf('\\') === -1 ? s : s.replaceAll('\\', '\\\\');
}

/** The columns an insert names, in the order `encodeRowsTsv` writes them. */
export const INSERT_COLUMNS = 'scenario, ts_ms, id, event, deployment_id, installation_id, level, details, details_keys, details_values, details_indexed, seq';

/** Event names, levels and deployment ids repeat endlessly: their fields are cached (bounded). */
const fieldCache = new Map<string, string>();
function cachedField(s: string): string {
  let f = fieldCache.get(s);
  if (f === undefined) {
    f = tsvField(s);
    if (fieldCache.size >= 10_000) fieldCache.clear();
    fieldCache.set(s, f);
  }
  return f;
}

/** Rows as one TabSeparated body (columns INSERT_COLUMNS; the details index of detailsIndex.ts, marked indexed). */
export function encodeRowsTsv(rows: readonly EventRow[]): string {
  let s = '';
  for (const r of rows) {
    s +=
      cachedField(r.scenario) + '\t' + r.ts_ms + '\t' + tsvField(r.id) + '\t' + cachedField(r.event) + '\t' +
      (r.deployment_id === null ? '\\N' : cachedField(r.deployment_id)) + '\t' + nullableField(r.installation_id) + '\t' +
      r.level + '\t' + jsonField(r.details) + '\t' + detailsIndexTsv(r.details) + '\t1\t' + r.seq + '\n';
  }
  return s;
}

const UNESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '0': '\0', "'": "'", '\\': '\\', a: '\x07', v: '\v' };

/** One TabSeparated field as ClickHouse writes it, back to its text. */
export function unescapeTsv(field: string): string {
  if (field.indexOf('\\') === -1) return field;
  return field.replace(/\\(.)/gs, (_, c: string) => UNESCAPES[c] ?? c);
}

/** A TabSeparated answer → rows of fields (unescaped). `\N` (NULL) comes back as null. */
export function parseTsv(text: string): (string | null)[][] {
  const out: (string | null)[][] = [];
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    if (nl > start) out.push(text.slice(start, nl).split('\t').map((f) => (f === '\\N' ? null : unescapeTsv(f))));
    start = nl + 1;
  }
  return out;
}
