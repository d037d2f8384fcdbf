import { ByteSink } from './byteSink.js';
import { encodedDetailsIndex, type EncodedDetailsIndex } from './detailsIndexBytes.js';
import type { EventRow } from './rows.js';
import { EVENT_COLUMNS } from './schema.js';

/**
 * ClickHouse's `Native` format for INSERTs: one block, column after column, as ClickHouse holds columns in memory — so
 * the server reads a column with a loop over one type instead of parsing row by row. Block: the number of columns and
 * of rows (LEB128), then per column its name, its type (strings) and its values:
 * - `String`: each value as a LEB128 byte length and its UTF-8 bytes; `UInt64`/`UInt8`: little-endian;
 * - `Nullable(T)`: a null map (one byte per row, 1 = NULL), then the T column of every row (a NULL as "");
 * - `Array(T)`: each row's end offset into the elements (UInt64), then the T column of all elements.
 * Over HTTP a block carries no block info (that is the native TCP protocol's). Measured against RowBinary with the
 * same 8,000 rows into a `Null` table (5 alternating rounds of 60 INSERTs): 2.8–4.1 against 4.4–6.5 ms per INSERT,
 * 0.29–0.40 against 0.48–0.71 µs of server CPU per row (README, "Ingest, fifth change").
 */

/** Each column's name and type, as the block names them: the events table's (schema.ts), in INSERT_COLUMNS' order. */
const HEADERS = new Map(
  EVENT_COLUMNS.map(([name, type]) => {
    const sink = new ByteSink(64);
    sink.string(name);
    sink.string(type);
    return [name, Buffer.from(sink.done())] as const;
  }),
);

/** A first guess of a row's size, so that most bodies are written without growing the buffer. */
const ROW_BYTES_GUESS = 256;

function header(sink: ByteSink, name: string): void {
  const h = HEADERS.get(name);
  // A column the schema does not have: a bug here, caught by the tests before any INSERT.
  if (h === undefined) throw new Error(`native.ts writes column ${name}, which EVENT_COLUMNS does not have`);
  sink.bytes(h);
}

/**
 * Rows as one Native block (columns INSERT_COLUMNS; the details index of detailsIndex.ts, marked indexed): one run of
 * them (encodeRunNative), made a block.
 */
export function encodeRowsNative(rows: readonly EventRow[]): Buffer {
  return joinNative([encodeRunNative(rows)], rows);
}

/**
 * A run of rows (one append's) encoded ahead of its INSERT, every column but `seq` (known only when the INSERT is
 * made): the Native block's column values back to back in one buffer, with where each part ends. A Nullable column
 * is two parts (null map, strings), an Array column one part (its elements; its offsets come from `counts`).
 * `joinNative` makes the block of several runs. Encoding an append's rows as soon as they were admitted, instead of the
 * whole group's at its INSERT, finds them in the CPU's caches (README, "Ingest, seventh change").
 */
export interface NativeRun {
  readonly rows: number;
  readonly bytes: Buffer;
  /** The end of each part in `bytes`: scenario, ts_ms, id, event, deployment_id (null map, strings), installation_id (null map, strings), level, details, details_keys elements, details_values elements. */
  readonly ends: Int32Array;
  /** Per row, the number of keys of its details index (the length of its details_keys and details_values arrays). */
  readonly counts: Uint32Array;
}

const RUN_PARTS = 12;

/** The rows' columns but `seq`, for `joinNative`. */
export function encodeRunNative(rows: readonly EventRow[]): NativeRun {
  const n = rows.length;
  const sink = new ByteSink(n * ROW_BYTES_GUESS + 64);
  const ends = new Int32Array(RUN_PARTS);
  let part = 0;
  const end = (): void => {
    ends[part++] = sink.pos;
  };
  for (let i = 0; i < n; i++) sink.string(rows[i]!.scenario);
  end();
  for (let i = 0; i < n; i++) sink.uint64(rows[i]!.ts_ms);
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.id);
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.event);
  end();
  for (let i = 0; i < n; i++) sink.byte(rows[i]!.deployment_id === null ? 1 : 0);
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.deployment_id ?? '');
  end();
  for (let i = 0; i < n; i++) sink.byte(rows[i]!.installation_id === null ? 1 : 0);
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.installation_id ?? '');
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.level);
  end();
  for (let i = 0; i < n; i++) sink.string(rows[i]!.details);
  end();
  const counts = new Uint32Array(n);
  const index: EncodedDetailsIndex[] = new Array<EncodedDetailsIndex>(n);
  for (let i = 0; i < n; i++) {
    index[i] = encodedDetailsIndex(rows[i]!.details);
    counts[i] = index[i]!.count;
  }
  for (let i = 0; i < n; i++) sink.bytes(index[i]!.keys);
  end();
  for (let i = 0; i < n; i++) sink.bytes(index[i]!.values);
  end();
  return { rows: n, bytes: sink.done(), ends, counts };
}

/**
 * The Native block of `runs` (encodeRunNative) in order, `seq` taken from `rows` (all the runs' rows, in the same
 * order): byte for byte what encodeRowsNative(rows) writes.
 */
export function joinNative(runs: readonly NativeRun[], rows: readonly EventRow[]): Buffer {
  const n = rows.length;
  let size = 512 + n * 25;
  for (const r of runs) size += r.bytes.length;
  const sink = new ByteSink(size);
  /** Part `k` of every run. */
  const part = (k: number): void => {
    for (const r of runs) sink.bytes(r.bytes.subarray(k === 0 ? 0 : r.ends[k - 1]!, r.ends[k]!));
  };
  /** An Array column's end offsets, over all the runs' rows. */
  const offsets = (): void => {
    let total = 0;
    for (const r of runs) for (let i = 0; i < r.rows; i++) sink.uint64((total += r.counts[i]!));
  };
  sink.varint(HEADERS.size);
  sink.varint(n);
  header(sink, 'scenario');
  part(0);
  header(sink, 'ts_ms');
  part(1);
  header(sink, 'id');
  part(2);
  header(sink, 'event');
  part(3);
  header(sink, 'deployment_id');
  part(4);
  part(5);
  header(sink, 'installation_id');
  part(6);
  part(7);
  header(sink, 'level');
  part(8);
  header(sink, 'details');
  part(9);
  header(sink, 'details_keys');
  offsets();
  part(10);
  header(sink, 'details_values');
  offsets();
  part(11);
  header(sink, 'details_indexed');
  sink.fill(1, n);
  header(sink, 'seq');
  for (let i = 0; i < n; i++) sink.uint64(rows[i]!.seq);
  return sink.done();
}
