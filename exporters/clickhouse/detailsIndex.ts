import { detailGroup } from '../../core/detailValue.js';

/**
 * The top-level scalar values of `details` as two parallel columns, `details_keys` and `details_values`
 * (`Array(String)`), so that insights by a details key (`version`, `platform`, ...) group in SQL:
 * `details_values[indexOf(details_keys, 'version')]`. ClickHouse 18.16 cannot read a JSON key (no JSONExtract, and
 * `visitParamExtract*` also finds nested keys), so the writer does it while building the row, by the insights rule
 * itself (core/detailValue.ts): a key is listed when its value is a string, number or boolean, the value as that rule
 * writes it; nested objects, arrays and null are no value. The row's `details_indexed` (1) tells rows indexed this way
 * from rows of an earlier release or writer (0, empty arrays), which the store groups from their `details` text.
 */
export interface DetailsIndex {
  readonly keys: string[];
  readonly values: string[];
}

const EMPTY: DetailsIndex = { keys: [], values: [] };

/** The index of a row's stored `details` text (JSON of an object, or "" for none). */
export function detailsIndex(details: string): DetailsIndex {
  if (details === '') return EMPTY;
  const parsed: unknown = JSON.parse(details);
  if (parsed === null || typeof parsed !== 'object') return EMPTY;
  const keys: string[] = [];
  const values: string[] = [];
  // Object.keys = the own keys the reference's Object.hasOwn sees (an array's indexes too, as there).
  for (const key of Object.keys(parsed)) {
    const value = detailGroup((parsed as Record<string, unknown>)[key]);
    if (value === undefined) continue;
    keys.push(key);
    values.push(value);
  }
  return { keys, values };
}
