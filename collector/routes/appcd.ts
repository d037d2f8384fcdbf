import { RequestError, ValidationError } from '../../core/errors.js';
import { CREATED_ACK, CRASH_OUTSIDE_PRODUCTION_ACK, type AppcdAck } from '../../receivers/api/ack.js';
import { sendJson } from '../http/respond.js';
import { ingest, type IngestSource } from '../ingest/ingest.js';
import { findInexactNumbers } from '../ingest/numbers.js';
import { inexactNumberError, parseJson, type ParsedUpload } from '../ingest/parse.js';
import type { EventDefaults } from '../ingest/validate.js';
import type { Route, RouteContext } from '../router.js';
import { ErrorCode } from '../../core/errorCodes.js';

const JSON_ONLY = new Set(['application/json']);

/** One JSON object body as the one event of an ingest (`shape` adapts it: the crash route's fields). */
function appcdSource(shape: (payload: Record<string, unknown>) => Record<string, unknown>): IngestSource {
  return {
    types: JSON_ONLY,
    accepts: ['application/json'],
    defaults: (ctx) => ({ scenario: ctx.collector.config.scenario }),
    parse(text: string, _type: string, defaults: EventDefaults): ParsedUpload {
      const v = parseJson(text);
      if (v instanceof RequestError) throw v;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError('payload', 'expected a JSON object');
      // A number JSON.parse could not carry exactly refuses the event before anything else is checked.
      const inexact = findInexactNumbers(text, v, 1)[0];
      if (inexact !== undefined) return { items: [v], errors: [], defaults, refused: new Map([[0, inexactNumberError(inexact, inexact.path)]]) };
      return { items: [shape(v as Record<string, unknown>)], errors: [], defaults };
    },
  };
}

/**
 * Answer like appcd: 201 Created when stored (or already stored: same id), 200 "Not Recorded" with `recorded:false`
 * and the reason when the rules dropped it (a crash outside production), the event's coded error otherwise.
 */
async function ingestOne(ctx: RouteContext, source: IngestSource): Promise<void> {
  const { stored, duplicates, errors } = await ingest(ctx, source);
  if (stored === 1 || duplicates === 1) {
    sendJson(ctx.res, 201, CREATED_ACK);
    return;
  }
  const refusal = errors[0];
  if (refusal?.code === ErrorCode.NOT_RECORDED) {
    sendJson(ctx.res, 200, CRASH_OUTSIDE_PRODUCTION_ACK satisfies AppcdAck, { 'x-telemetry-recorded': 'false' });
    return;
  }
  const status = refusal?.code === ErrorCode.EVENT_TOO_LARGE ? 413 : 400;
  throw new RequestError(refusal?.code ?? ErrorCode.INTERNAL, status, refusal?.error ?? 'event not stored', { field: refusal?.field });
}

/** `POST /appcd/telemetry`: `event` required, `app` optional, any other data kept in details. */
const eventSource = appcdSource((payload) => payload);
export const appcdEventRoute: Route = {
  method: 'POST',
  path: '/appcd/telemetry',
  handle: (ctx) => ingestOne(ctx, eventSource),
};

/**
 * `POST /appcd/telemetry/crash`: `message` required, `app` optional, any other data (e.g. `stack`) kept in details
 * with the message. Stored as event `crash` at level fatal, only when TELEMETRY_ENVIRONMENT is `production`.
 * An `event` field of the payload is ignored (the event is `crash`).
 */
const crashSource = appcdSource((payload) => {
  const message = payload.message;
  if (typeof message !== 'string' || message.length === 0) throw new ValidationError('message', 'required, a non-empty string');
  if (payload.stack !== undefined && typeof payload.stack !== 'string') throw new ValidationError('stack', 'must be a string');
  return { ...payload, event: 'crash', level: 'fatal' };
});
export const appcdCrashRoute: Route = {
  method: 'POST',
  path: '/appcd/telemetry/crash',
  handle: (ctx) => ingestOne(ctx, crashSource),
};
