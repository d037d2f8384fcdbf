import { Matcher, type MatchOptions, type MatchResult } from '../../../query/matcher.js';
import { Output } from '../../../query/output.js';
import type { LogQuery } from '../../../query/query.js';
import { jsonlSink, type EntrySink } from '../../../query/sinks.js';
import { RequestError } from '../../../core/errors.js';
import type { RouteContext } from '../../router.js';
import type { StoreQuery, TelemetryStore } from '../TelemetryStore.js';
import { ErrorCode } from '../../../core/errorCodes.js';

export interface ReadStoreLogOptions extends MatchOptions {
  drain: () => Promise<void>;
  signal?: AbortSignal;
}

/** Lines handed to the matcher at once (they are matched one by one; this only saves calls). */
const CHUNK_CHARS = 64 * 1024;

/**
 * `GET /api/v1/telemetry/{scenario}/events` (and so `logs --url`) for a store that is not files: the store's query does
 * what it can in the store (time bounds; one event name), and the query engine's matcher (query/, as in the CLI)
 * applies every filter (level, search, events, tail, limit) to the lines exactly as it does to a file — same
 * results, same line text (a stored
 * line re-serialised with JSON.stringify is the JSONL line). Reading stops once `limit` lines went out.
 */
async function readStoreLog(store: TelemetryStore, scenario: string, sink: EntrySink, options: ReadStoreLogOptions): Promise<MatchResult> {
  const matcher = new Matcher(() => `${store.kind} store, scenario ${scenario}`, sink, options);
  const q = options.query;
  const sq: StoreQuery = { scenario };
  if (q.since !== undefined) sq.since = q.since;
  // The CLI's `until` is inclusive; the store's is exclusive.
  if (q.until !== undefined) sq.until = q.until + 1;
  if (q.events !== undefined && q.events.length === 1) sq.event = q.events[0];
  // When the store applies every filter itself, it may stop at the limit too (the ClickHouse store then reads the
  // first lines page by page instead of the whole scenario).
  const storeFiltersAll = q.level === undefined && q.search === undefined && (q.events === undefined || q.events.length <= 1) && options.tail === undefined;
  if (storeFiltersAll && options.limit !== undefined) sq.limit = options.limit;
  let chunk = '';
  const feed = (): void => {
    matcher.scanner.feed(Buffer.from(chunk));
    chunk = '';
  };
  for await (const line of store.query(sq)) {
    chunk += JSON.stringify(line) + '\n';
    if (chunk.length >= CHUNK_CHARS) {
      feed();
      if (matcher.done || options.signal?.aborted) break;
      await options.drain();
    }
  }
  if (chunk.length > 0 && !matcher.done) feed();
  if (!matcher.done) matcher.scanner.end();
  matcher.releaseTail();
  return matcher.result;
}

/**
 * The events route's answer from a store that is not files (the JSONL store streams its files directly, with
 * follow). 404 for a scenario the store does not have; `follow` is not offered (501): a database has no file to tail —
 * poll with `--since` instead.
 */
export async function sendStoreEvents(ctx: RouteContext, scenario: string, o: { query: LogQuery; limit?: number; tail?: number; follow: boolean }): Promise<void> {
  const store = ctx.collector.store;
  if (o.follow) throw new RequestError(ErrorCode.NOT_SUPPORTED, 501, `follow needs the jsonl store (TELEMETRY_STORE=${store.kind}); poll with since instead`, { field: 'follow' });
  if ((await store.summary(scenario)) === undefined) throw new RequestError(ErrorCode.NOT_FOUND, 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
  const { res } = ctx;
  const stop = new AbortController();
  res.once('close', () => stop.abort());
  res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  const out = new Output(res);
  await readStoreLog(store, scenario, jsonlSink(out), { query: o.query, limit: o.limit, tail: o.tail, warn: () => undefined, drain: () => out.drain(), signal: stop.signal });
  await out.end();
  res.end();
}
