import { RequestError, type TelemetryError } from '../../core/errors.js';
import { contentEncodingOf, readBody, utf8Text } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { discardRest, JSON_TYPE, sendJson, sendRaw } from '../http/respond.js';
import { parseJson } from '../ingest/parse.js';
import type { Route, RouteContext } from '../router.js';
import { RpcStatus } from './protobuf.js';
import { ErrorCode } from '../../core/errorCodes.js';

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);
const PROTOBUF_TYPE = 'application/x-protobuf';

/** The protobufjs message types of one OTLP signal: its Export…ServiceRequest and Export…ServiceResponse. */
export interface OtlpMessages {
  readonly request: { decode(body: Uint8Array): unknown };
  readonly response: { encode(message: object): { finish(): Uint8Array } };
}

/**
 * One OTLP/HTTP route (`POST /v1/logs`, `/v1/traces`, `/v1/metrics`): the part every signal shares, per the OTLP
 * spec. Content type `application/json` or `application/x-protobuf` (else 415), body read within the size limit
 * (gzip allowed), decoded in its encoding (400 `OPT_ERR_PARSE` when it cannot be), handed to the signal's `handle`,
 * whose answer object (the Export…ServiceResponse, `{}` or with `partialSuccess`) is sent back as 200 in the
 * request's encoding; errors as google.rpc.Status with the HTTP status (see `otlpErrorAnswer`). `handle` also gets
 * the JSON text (for checks on the raw numbers), undefined for protobuf.
 */
export function otlpRoute(path: string, messages: OtlpMessages, handle: (ctx: RouteContext, request: unknown, jsonText: string | undefined) => Promise<object> | object): Route {
  return {
    method: 'POST',
    path,
    async handle(ctx) {
      const { req, collector } = ctx;
      const type = mediaTypeOf(req);
      const protobuf = PROTOBUF_TYPES.has(type);
      if (!protobuf && type !== 'application/json') throw unsupportedType(type, ['application/x-protobuf', 'application/json']);
      const body = await readBody(req, { maxBytes: collector.config.maxBodyBytes }, contentEncodingOf(req));
      let request: unknown;
      let text: string | undefined;
      if (protobuf) {
        try {
          request = messages.request.decode(body);
        } catch (err) {
          throw new RequestError(ErrorCode.PARSE, 400, `invalid OTLP protobuf: ${(err as Error).message}`);
        }
      } else {
        text = utf8Text(body);
        request = parseJson(text);
        if (request instanceof RequestError) throw request;
      }
      const response = await handle(ctx, request, text);
      if (protobuf) sendRaw(ctx.res, 200, PROTOBUF_TYPE, messages.response.encode(response).finish());
      else sendJson(ctx.res, 200, response);
    },
    onError: otlpErrorAnswer,
  };
}

/** The OTLP error answer: a google.rpc.Status in the request's encoding, with the HTTP status of the error. */
export function otlpErrorAnswer(ctx: RouteContext, err: TelemetryError, headers: Record<string, string>): void {
  const status = { code: grpcCode(err.statusCode), message: `${err.code}: ${err.message}` };
  const h = { ...headers };
  if (!ctx.req.complete) h.connection = 'close';
  if (wantsProtobuf(ctx)) sendRaw(ctx.res, err.statusCode, PROTOBUF_TYPE, RpcStatus.encode(status).finish(), h);
  else sendRaw(ctx.res, err.statusCode, JSON_TYPE, JSON.stringify(status), h);
  if (!ctx.req.complete) discardRest(ctx.res);
}

function wantsProtobuf(ctx: RouteContext): boolean {
  try {
    return PROTOBUF_TYPES.has(mediaTypeOf(ctx.req));
  } catch {
    return false;
  }
}

/** gRPC status codes for the google.rpc.Status body of OTLP error answers, by HTTP status. */
function grpcCode(status: number): number {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 404:
      return 5; // NOT_FOUND
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}
