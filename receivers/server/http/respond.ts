import type { ServerResponse } from 'node:http';
import { TelemetryError, RequestError, ValidationError } from '../../../core/errors.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Send a JSON body with an exact Content-Length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendRaw(res, status, JSON_TYPE, JSON.stringify(body), headers);
}

export function sendRaw(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const h: Record<string, string | number> = { 'content-type': type, 'content-length': len, ...headers };
  res.writeHead(status, h);
  res.end(body);
}

/** The JSON error body every route uses: a stable code, a message, and where the problem is when known. */
export interface ErrorBody {
  status: 'error';
  code: string;
  error: string;
  field?: string;
  line?: number;
  position?: number;
}

const EXTRA = Symbol('otel-product-telemetry.errorBody');
type WithExtra = TelemetryError & { [EXTRA]?: Record<string, unknown> };

/** Attach more fields to an error's JSON body (e.g. the per-event errors of an upload refused as a whole). */
export function withBody<E extends TelemetryError>(err: E, extra: object): E {
  (err as WithExtra)[EXTRA] = extra as Record<string, unknown>;
  return err;
}

export function errorBody(err: TelemetryError): ErrorBody {
  const body: ErrorBody = { status: 'error', code: err.code, error: err.message };
  const extra = (err as WithExtra)[EXTRA];
  if (extra !== undefined) Object.assign(body, extra);
  if (err instanceof ValidationError) body.field = err.field;
  if (err instanceof RequestError) {
    if (err.field !== undefined) body.field = err.field;
    if (err.line !== undefined) body.line = err.line;
    if (err.position !== undefined) body.position = err.position;
  }
  return body;
}

/** Turn anything thrown by a handler into a coded error (unexpected ones become a 500 that names no internals). */
export function asTelemetryError(err: unknown): TelemetryError {
  if (err instanceof TelemetryError) return err;
  return new RequestError('OPT_ERR_INTERNAL', 500, 'internal error (see the collector\'s diag log)', { cause: err });
}

/**
 * Answer an error. When the request body was not read to its end (413, refused before reading), the connection is
 * closed after the answer; the rest of the body is discarded as it arrives (never buffered), so the client can
 * finish sending and read the answer instead of seeing a reset.
 */
export function sendError(res: ServerResponse, err: TelemetryError, headers?: Record<string, string>): void {
  const h: Record<string, string> = { ...headers };
  if (err.statusCode === 401) h['www-authenticate'] = 'Bearer';
  if (!res.req.complete) h.connection = 'close';
  sendJson(res, err.statusCode, errorBody(err), h);
  if (!res.req.complete) discardRest(res);
}

/** Read and drop what the client still sends, for a bounded time, then close. */
export function discardRest(res: ServerResponse, lingerMs = 2000): void {
  const req = res.req;
  req.removeAllListeners('data');
  req.on('data', () => undefined);
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), lingerMs);
  timer.unref();
  req.socket.once('close', () => clearTimeout(timer));
}
