import { RequestError, ValidationError } from '../../core/errors.js';
import { CREATED_ACK, CRASH_OUTSIDE_PRODUCTION_ACK, type AppcdAck } from '../../receivers/api/ack.js';
import { contentEncodingOf, readBody } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { sendJson } from '../http/respond.js';
import { findInexactNumbers } from '../ingest/numbers.js';
import { inexactNumberError, parseJson } from '../ingest/parse.js';
import { toStoreEvent } from '../ingest/validate.js';
import type { Route, RouteContext } from '../router.js';
import type { StoreEvent } from '../stores/TelemetryStore.js';
import { eventLimits, utf8Text } from './upload.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** Read a JSON object body (application/json only). */
async function readJsonObject(ctx: RouteContext): Promise<Record<string, unknown>> {
  const type = mediaTypeOf(ctx.req);
  if (type !== 'application/json') throw unsupportedType(type, ['application/json']);
  const body = await readBody(ctx.req, { maxBytes: ctx.collector.config.maxBodyBytes }, contentEncodingOf(ctx.req));
  const text = utf8Text(body);
  const v = parseJson(text);
  if (v instanceof RequestError) throw v;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError('payload', 'expected a JSON object');
  const inexact = findInexactNumbers(text, v, 1)[0];
  if (inexact !== undefined) throw inexactNumberError(inexact, inexact.path);
  return v as Record<string, unknown>;
}

/**
 * Store one appcd event and answer like appcd: 201 Created when stored (or already stored: same id), 200 "Not
 * Recorded" with `recorded:false` and the reason when the rules dropped it (a crash outside production), a coded error
 * otherwise.
 */
async function storeOne(ctx: RouteContext, event: StoreEvent): Promise<void> {
  const stats = ctx.collector.stats;
  stats.eventsReceived++;
  const result = await ctx.collector.store.append([event]);
  stats.eventsStored += result.stored;
  stats.duplicates += result.duplicates;
  if (result.stored === 1 || result.duplicates === 1) {
    sendJson(ctx.res, 201, CREATED_ACK);
    return;
  }
  stats.rejected++;
  const rejection = result.rejections[0];
  if (rejection?.code === ErrorCode.NOT_RECORDED) {
    sendJson(ctx.res, 200, CRASH_OUTSIDE_PRODUCTION_ACK satisfies AppcdAck, { 'x-telemetry-recorded': 'false' });
    return;
  }
  const status = rejection?.code === ErrorCode.EVENT_TOO_LARGE ? 413 : 400;
  throw new RequestError(rejection?.code ?? ErrorCode.INTERNAL, status, rejection?.error ?? 'event not stored');
}

/** `POST /appcd/telemetry`: `event` required, `app` optional, any other data kept in details. */
export const appcdEventRoute: Route = {
  method: 'POST',
  path: '/appcd/telemetry',
  async handle(ctx) {
    const payload = await readJsonObject(ctx);
    const event = toStoreEvent(payload, { scenario: ctx.collector.config.scenario }, eventLimits(ctx), Date.now());
    await storeOne(ctx, event);
  },
};

/**
 * `POST /appcd/telemetry/crash`: `message` required, `app` optional, any other data (e.g. `stack`) kept in details
 * with the message. Stored as event `crash` at level fatal, only when TELEMETRY_ENVIRONMENT is `production`.
 * An `event` field of the payload is ignored (the event is `crash`).
 */
export const appcdCrashRoute: Route = {
  method: 'POST',
  path: '/appcd/telemetry/crash',
  async handle(ctx) {
    const payload = await readJsonObject(ctx);
    const message = payload.message;
    if (typeof message !== 'string' || message.length === 0) throw new ValidationError('message', 'required, a non-empty string');
    if (payload.stack !== undefined && typeof payload.stack !== 'string') throw new ValidationError('stack', 'must be a string');
    const event = toStoreEvent({ ...payload, event: 'crash', level: 'fatal' }, { scenario: ctx.collector.config.scenario }, eventLimits(ctx), Date.now());
    await storeOne(ctx, event);
  },
};
