/**
 * ClickHouse's `TabSeparated` format, both ways, for the external tables of key lookups and the answers read back
 * (no quoting: only `\\`, tab, newline and carriage return are escaped). Inserts use Native (native.ts).
 */

const SPECIAL = /[\t\n\r\\]/;
const SPECIAL_ALL = /[\t\n\r\\]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

/** A string as a TabSeparated field (`\N` is NULL, so a backslash is always escaped). */
export function tsvField(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

/** The columns an insert names, in the order native.ts writes them (its test checks them against EVENT_COLUMNS). */
export const INSERT_COLUMNS = 'scenario, ts_ms, id, event, deployment_id, installation_id, level, details, details_keys, details_values, details_indexed, seq';

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
