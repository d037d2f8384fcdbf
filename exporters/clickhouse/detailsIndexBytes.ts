import { ByteSink } from './byteSink.js';
import { detailsIndex } from './detailsIndex.js';

/**
 * A row's details index (detailsIndex.ts) ready to write: how many keys, and the keys' and the values' strings back
 * to back (each a LEB128 length and its UTF-8 bytes). RowBinary writes each array as its count and its strings;
 * Native writes the counts as offsets, then every row's strings.
 */
export interface EncodedDetailsIndex {
  readonly count: number;
  readonly keys: Buffer;
  readonly values: Buffer;
}

const EMPTY: EncodedDetailsIndex = { count: 0, keys: Buffer.alloc(0), values: Buffer.alloc(0) };

/**
 * Details texts repeat (the same version and platform on every event of an installation): cached by text, bounded,
 * so most rows cost a lookup instead of a JSON.parse.
 */
const cache = new Map<string, EncodedDetailsIndex>();
const CACHE_LIMIT = 10_000;
/** Longer texts are not cached (they rarely repeat, and would hold memory). */
const CACHE_MAX_LENGTH = 512;

/** The encoded index of a row's stored `details` text (JSON of an object, or "" for none). */
export function encodedDetailsIndex(details: string): EncodedDetailsIndex {
  if (details === '') return EMPTY;
  const cacheable = details.length <= CACHE_MAX_LENGTH;
  if (cacheable) {
    const hit = cache.get(details);
    if (hit !== undefined) return hit;
  }
  const index = detailsIndex(details);
  const encoded: EncodedDetailsIndex = { count: index.keys.length, keys: strings(index.keys), values: strings(index.values) };
  if (cacheable) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(details, encoded);
  }
  return encoded;
}

function strings(list: readonly string[]): Buffer {
  if (list.length === 0) return EMPTY.keys;
  let units = 0;
  for (const s of list) units += s.length;
  const sink = new ByteSink(units * 3 + list.length * 5);
  for (const s of list) sink.string(s);
  // A copy of its own: the sink's buffer may come from Buffer's shared pool, and cached entries outlive the call.
  return Buffer.from(sink.done());
}
