import { RequestError, TelemetryError } from '../../core/errors.js';
import { STORE_ID_HEADER, storeIdOf } from '../../core/storeId.js';
import { contentEncodingOf, readBody, utf8Text } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { countRefused } from '../metrics/selfMetrics.js';
import type { RouteContext } from '../router.js';
import type { StoreEvent } from '../stores/TelemetryStore.js';
import type { EventError, ParsedUpload } from './parse.js';
import { toStoreEvent, type EventDefaults, type EventLimits } from './validate.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * What an upload-like route (upload, appcd event, appcd crash) brings to `ingest`: the media types it takes and its
 * own parsing. Everything else (content type, own-store check, size-limited body, UTF-8, validation, the store, the
 * counters) is `ingest`'s, the same for all.
 */
export interface IngestSource {
  /** Media types taken; any other is refused with 415 naming `accepts`. */
  readonly types: ReadonlySet<string>;
  readonly accepts: readonly string[];
  /** Checked before the body is read (e.g. a query parameter): what events lacking them get. */
  defaults(ctx: RouteContext): EventDefaults;
  /**
   * The body's text (`type` one of `types`) → the events as parsed, not yet validated. Throws a coded error for a body
   * refused as a whole (not JSON, wrong shape, too many events); problems of single events go into the result.
   */
  parse(text: string, type: string, defaults: EventDefaults, maxEvents: number): ParsedUpload;
}

/** The one answer shape of an ingest: what was received and stored, and each event refused. */
export interface IngestOutcome {
  received: number;
  stored: number;
  /** Events whose id was already stored (acknowledged, not stored again). */
  duplicates: number;
  /** Parse, validation and store refusals, sorted by `index` (an array index, or the NDJSON line: `byLine`). */
  errors: EventError[];
  byLine: boolean;
}

export function eventLimits(ctx: RouteContext): EventLimits {
  const c = ctx.collector.config;
  return { maxDepth: c.maxDetailsDepth, maxKeys: c.maxDetailsKeys, maxClockSkewMs: c.maxClockSkewMs };
}

/**
 * An uploader names the data dir it sends from (`x-telemetry-store-id`, the dir's `store-id`). When that is this
 * collector's own JSONL dir, storing would write every event a second time into the files the uploader reads, and the
 * uploader would send those copies back: refused with 409 `OPT_ERR_SAME_STORE` before the body is read.
 */
export function refuseOwnStore(ctx: RouteContext): void {
  const theirs = ctx.req.headers[STORE_ID_HEADER];
  if (typeof theirs !== 'string') return;
  const store = ctx.collector.store as { kind: string; dir?: unknown };
  if (store.kind !== 'jsonl' || typeof store.dir !== 'string') return;
  if (theirs.trim() === storeIdOf(store.dir)) {
    throw new RequestError(
      ErrorCode.SAME_STORE,
      409,
      `this collector stores into ${store.dir}, the data dir this upload comes from: it would store every event twice and the uploader would send the copies back; give the collector a data dir of its own (its default, or --dir / TELEMETRY_DIR)`,
    );
  }
}

/**
 * The steps every upload-like route shares. In order: content type (415), the uploader's own store (409), the route's
 * defaults, the body within the size limit (413, gzip allowed), UTF-8 (400), the route's parsing, then each event
 * validated into a StoreEvent (an invalid one is listed and does not sink the others), the refusals counted by code,
 * one `store.append` for the valid ones (not called when there are none), the store's refusals merged into the list
 * and the collector's counters updated. Resolves after the events are stored (acknowledged = written); the route
 * turns the outcome into its answer. A store failure rejects (StoreError: 503 at the edge).
 */
export async function ingest(ctx: RouteContext, source: IngestSource): Promise<IngestOutcome> {
  const { req, collector } = ctx;
  const config = collector.config;
  const type = mediaTypeOf(req);
  if (!source.types.has(type)) throw unsupportedType(type, source.accepts);
  refuseOwnStore(ctx);
  const encoding = contentEncodingOf(req);
  const defaults = source.defaults(ctx);
  const text = utf8Text(await readBody(req, { maxBytes: config.maxBodyBytes }, encoding));
  const parsed = source.parse(text, type, defaults, config.maxEventsPerRequest);
  const { items, lines } = parsed;
  // Parse errors (NDJSON lines that are not JSON) come first, in line order; validation errors follow.
  const errors = parsed.errors;
  const received = items.length + errors.length;
  const limits = eventLimits(ctx);
  const now = Date.now();
  const events: StoreEvent[] = [];
  const labels: number[] = []; // store index → array index or line number
  const refused = parsed.refused;
  for (let i = 0; i < items.length; i++) {
    const label = lines === undefined ? i : lines[i]!;
    const early = refused?.get(i);
    if (early !== undefined) {
      errors.push(errorOf(label, early));
      continue;
    }
    try {
      events.push(toStoreEvent(items[i], parsed.defaults, limits, now));
      labels.push(label);
    } catch (err) {
      errors.push(errorOf(label, err));
    }
  }
  const stats = collector.stats;
  stats.eventsReceived += received;
  // Refused at the edge, by code (the store's own refusals are counted by the metered store).
  for (const e of errors) countRefused(collector.metrics, e.code ?? ErrorCode.VALIDATION);
  let stored = 0;
  let duplicates = 0;
  if (events.length > 0) {
    const result = await collector.store.append(events);
    for (const r of result.rejections) errors.push({ index: labels[r.index]!, code: r.code, error: r.error });
    stored = result.stored;
    duplicates = result.duplicates;
    stats.eventsStored += stored;
    stats.duplicates += duplicates;
  }
  stats.rejected += errors.length;
  // Stable: several problems of one event keep their order.
  if (errors.length > 1) errors.sort((a, b) => a.index - b.index);
  return { received, stored, duplicates, errors, byLine: lines !== undefined };
}

function errorOf(index: number, err: unknown): EventError {
  if (err instanceof TelemetryError) {
    const e: EventError = { index, code: err.code, error: err.message };
    const field = (err as { field?: unknown }).field;
    if (typeof field === 'string') e.field = field;
    return e;
  }
  throw err;
}
