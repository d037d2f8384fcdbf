import { countRefused } from '../metrics/selfMetrics.js';
import { isUtf8 } from 'node:buffer';
import { RequestError, TelemetryError } from '../../core/errors.js';
import { STORE_ID_HEADER, storeIdOf } from '../../core/storeId.js';
import { contentEncodingOf, readBody } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { sendJson, withBody } from '../http/respond.js';
import { parseJsonUpload, parseNdjsonUpload, type EventError, type ParsedUpload } from '../ingest/parse.js';
import { checkScenario, toStoreEvent, type EventDefaults, type EventLimits } from '../ingest/validate.js';
import type { Route, RouteContext } from '../router.js';
import type { StoreEvent } from '../stores/TelemetryStore.js';
import { ErrorCode } from '../../core/errorCodes.js';

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonl', 'application/jsonlines', 'application/x-jsonlines']);
const ACCEPTED = ['application/json', 'application/x-ndjson', 'application/jsonl'];

/** Most per-event errors listed in one response; the rest are counted in `errors_omitted`. */
export const MAX_LISTED_ERRORS = 100;

export interface UploadResponse {
  status: 'accepted';
  events_received: number;
  events_stored: number;
  /** Only when > 0: events whose id was already stored (acknowledged, not stored again). */
  events_duplicate?: number;
  errors?: EventError[];
  errors_omitted?: number;
}

interface RefusedUpload {
  events_received: number;
  events_stored: 0;
  errors?: EventError[];
  errors_omitted?: number;
}

/** Decode the body as UTF-8 text, refusing invalid UTF-8 (it would be stored as replacement characters). */
export function utf8Text(body: Buffer): string {
  if (!isUtf8(body)) throw new RequestError(ErrorCode.ENCODING, 400, 'body is not valid UTF-8');
  // A leading BOM is not JSON; some Windows tools add one.
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.toString('utf8', 3) : body.toString('utf8');
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

function errorOf(index: number, err: unknown): EventError {
  if (err instanceof TelemetryError) {
    const e: EventError = { index, code: err.code, error: err.message };
    const field = (err as { field?: unknown }).field;
    if (typeof field === 'string') e.field = field;
    return e;
  }
  throw err;
}

/**
 * `POST /api/v1/telemetry/upload`: a JSON array (or wrapper, or one event) or NDJSON. Checks in order: content type
 * (415), size while streaming (413), UTF-8 and syntax (400 naming the position), event count (413), then each event
 * (a number JSON.parse cannot carry exactly refuses its event, ingest/numbers.ts);
 * invalid events are listed and do not sink the valid ones. Answers after the lines are in the files.
 */
export const uploadRoute: Route = {
  method: 'POST',
  path: '/api/v1/telemetry/upload',
  async handle(ctx) {
    const { req, collector } = ctx;
    const config = collector.config;
    const type = mediaTypeOf(req);
    const ndjson = NDJSON_TYPES.has(type);
    if (!ndjson && !JSON_TYPES.has(type)) throw unsupportedType(type, ACCEPTED);
    refuseOwnStore(ctx);
    const encoding = contentEncodingOf(req);
    const base: EventDefaults = {};
    if (ctx.query.length > 0) {
      const s = new URLSearchParams(ctx.query).get('scenario');
      if (s !== null) base.scenario = checkScenario(s, 'scenario (query parameter)');
    }
    if (base.scenario === undefined) base.scenario = config.scenario;
    const body = await readBody(req, { maxBytes: config.maxBodyBytes }, encoding);
    const text = utf8Text(body);
    const parsed: ParsedUpload = ndjson ? parseNdjsonUpload(text, config.maxEventsPerRequest, base) : parseJsonUpload(text, config.maxEventsPerRequest, base);
    const { items, lines } = parsed;
    // Parse errors (NDJSON lines that are not JSON) come first, in line order; validation errors follow.
    const errors = parsed.errors;
    const received = items.length + errors.length;
    const limits = eventLimits(ctx);
    const now = Date.now();
    const events: StoreEvent[] = [];
    const labels: number[] = []; // store index → array index or line number
    for (let i = 0; i < items.length; i++) {
      const label = lines === undefined ? i : lines[i]!;
      const refused = parsed.refused?.get(i);
      if (refused !== undefined) {
        errors.push(errorOf(label, refused));
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
    if (events.length === 0) {
      stats.rejected += received;
      const first = sorted(errors)[0];
      const reason = received === 0 ? 'the body holds no events' : `no valid events (first: ${first ? `${lines ? 'line' : 'index'} ${first.index}: ${first.error}` : 'none'})`;
      const err = new RequestError(ErrorCode.NO_VALID_EVENTS, 400, reason);
      throw withBody(err, listErrors<RefusedUpload>({ events_received: received, events_stored: 0 }, errors));
    }
    const result = await collector.store.append(events);
    for (const r of result.rejections) errors.push({ index: labels[r.index]!, code: r.code, error: r.error });
    stats.eventsStored += result.stored;
    stats.duplicates += result.duplicates;
    stats.rejected += errors.length;
    if (result.stored === 0 && result.duplicates === 0) {
      // Every event was refused by the store's rules (too large, crash outside production, scenario limit): as
      // documented, an upload with no valid event is a 400, not an "accepted" with nothing stored.
      const first = sorted(errors)[0];
      const err = new RequestError(ErrorCode.NO_VALID_EVENTS, 400, `no valid events (first: ${first ? `${lines ? 'line' : 'index'} ${first.index}: ${first.error}` : 'none'})`);
      throw withBody(err, listErrors<RefusedUpload>({ events_received: received, events_stored: 0 }, errors));
    }
    const response: UploadResponse = { status: 'accepted', events_received: received, events_stored: result.stored };
    if (result.duplicates > 0) response.events_duplicate = result.duplicates;
    if (errors.length > 0) listErrors(response, sorted(errors));
    sendJson(ctx.res, 200, response);
  },
};

function sorted(errors: EventError[]): EventError[] {
  // Stable: several problems of one event keep their order.
  return errors.sort((a, b) => a.index - b.index);
}

function listErrors<T extends { errors?: EventError[]; errors_omitted?: number }>(target: T, errors: EventError[]): T {
  if (errors.length === 0) return target;
  target.errors = errors.length > MAX_LISTED_ERRORS ? errors.slice(0, MAX_LISTED_ERRORS) : errors;
  if (errors.length > MAX_LISTED_ERRORS) target.errors_omitted = errors.length - MAX_LISTED_ERRORS;
  return target;
}
