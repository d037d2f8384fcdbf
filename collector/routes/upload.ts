import { RequestError } from '../../core/errors.js';
import { sendJson, withBody } from '../http/respond.js';
import { ingest, type IngestOutcome, type IngestSource } from '../ingest/ingest.js';
import { parseJsonUpload, parseNdjsonUpload, type EventError } from '../ingest/parse.js';
import { checkScenario, type EventDefaults } from '../ingest/validate.js';
import type { Route } from '../router.js';
import { ErrorCode } from '../../core/errorCodes.js';

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonl', 'application/jsonlines', 'application/x-jsonlines']);

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

/** The upload's parsing: a JSON array, wrapper or single event, or NDJSON; `?scenario=` names the default scenario. */
const uploadSource: IngestSource = {
  types: new Set([...JSON_TYPES, ...NDJSON_TYPES]),
  accepts: ['application/json', 'application/x-ndjson', 'application/jsonl'],
  defaults(ctx) {
    const base: EventDefaults = {};
    if (ctx.query.length > 0) {
      const s = new URLSearchParams(ctx.query).get('scenario');
      if (s !== null) base.scenario = checkScenario(s, 'scenario (query parameter)');
    }
    if (base.scenario === undefined) base.scenario = ctx.collector.config.scenario;
    return base;
  },
  parse: (text, type, defaults, maxEvents) => (NDJSON_TYPES.has(type) ? parseNdjsonUpload(text, maxEvents, defaults) : parseJsonUpload(text, maxEvents, defaults)),
};

/**
 * `POST /api/v1/telemetry/upload`: a JSON array (or wrapper, or one event) or NDJSON, through `ingest` (content type
 * 415, size 413, UTF-8 and syntax 400 naming the position, event count 413, then each event; a number JSON.parse
 * cannot carry exactly refuses its event, ingest/numbers.ts). Invalid events are listed and do not sink the valid
 * ones; an upload with no event stored or de-duplicated is a 400. Answers after the lines are in the files.
 */
export const uploadRoute: Route = {
  method: 'POST',
  path: '/api/v1/telemetry/upload',
  async handle(ctx) {
    const outcome = await ingest(ctx, uploadSource);
    const { received, stored, duplicates, errors } = outcome;
    if (stored === 0 && duplicates === 0) {
      // Nothing valid, or every event refused by the store's rules (too large, crash outside production, scenario
      // limit): as documented, an upload with no valid event is a 400, not an "accepted" with nothing stored.
      const reason = received === 0 ? 'the body holds no events' : `no valid events (first: ${firstError(outcome)})`;
      throw withBody(new RequestError(ErrorCode.NO_VALID_EVENTS, 400, reason), listErrors<RefusedUpload>({ events_received: received, events_stored: 0 }, errors));
    }
    const response: UploadResponse = { status: 'accepted', events_received: received, events_stored: stored };
    if (duplicates > 0) response.events_duplicate = duplicates;
    listErrors(response, errors);
    sendJson(ctx.res, 200, response);
  },
};

function firstError({ errors, byLine }: IngestOutcome): string {
  const first = errors[0];
  return first ? `${byLine ? 'line' : 'index'} ${first.index}: ${first.error}` : 'none';
}

function listErrors<T extends { errors?: EventError[]; errors_omitted?: number }>(target: T, errors: EventError[]): T {
  if (errors.length === 0) return target;
  target.errors = errors.length > MAX_LISTED_ERRORS ? errors.slice(0, MAX_LISTED_ERRORS) : errors;
  if (errors.length > MAX_LISTED_ERRORS) target.errors_omitted = errors.length - MAX_LISTED_ERRORS;
  return target;
}
