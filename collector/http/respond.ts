import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TelemetryError, RequestError, ValidationError } from '../../core/errors.js';
import { ErrorCode } from '../../core/errorCodes.js';

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
  return new RequestError(ErrorCode.INTERNAL, 500, 'internal error (see the collector\'s diag log)', { cause: err });
}

/**
 * Answer an error. When the request body was not read to its end (401, 413, 415, 429... refused before or while
 * reading), the answer says `Connection: close` and the connection lingers: the rest of the body is read and
 * discarded (never buffered) within `LINGER_MAX_BYTES` and `LINGER_MAX_MS`, so the client can finish sending and
 * read the answer instead of seeing a reset.
 */
export function sendError(res: ServerResponse, err: TelemetryError, headers?: Record<string, string>): void {
  const h: Record<string, string> = { ...headers };
  if (err.statusCode === 401) h['www-authenticate'] = 'Bearer';
  if (!res.req.complete) h.connection = 'close';
  sendJson(res, err.statusCode, errorBody(err), h);
  if (!res.req.complete) discardRest(res);
}

/** After an early answer, at most this many more body bytes are read (and dropped) before the connection is cut. */
export const LINGER_MAX_BYTES = 64 * 1024 * 1024;
/** After an early answer, the connection is cut this long after the answer at the latest. */
export const LINGER_MAX_MS = 5000;

/** Connections in a lingering close: whatever else arrives on them is dropped, never handled. */
const lingering = new WeakSet<object>();

/** Whether a connection was answered early and is only draining (a request pipelined behind must not be handled). */
export function isLingering(socket: object): boolean {
  return lingering.has(socket);
}

export interface LingerLimits {
  maxBytes: number;
  maxMs: number;
}

/**
 * A lingering close (as nginx's `lingering_close` and Go's net/http do) for a request answered before its body was
 * read to the end; call it right after the answer (`Connection: close`) was handed to `res.end()`.
 *
 * Node closes such a connection as soon as the answer is written (`socket.destroySoon()`). With request bytes still
 * unread, the kernel then resets the connection, and a client still sending (Node's `fetch` with a 6.6 MB body,
 * curl, OTel exporters) fails with EPIPE/ECONNRESET before it reads the answer. Instead, for this connection only:
 * after the answer, half-close (FIN: the client sees the end of the answer) and keep reading and dropping what the
 * client still sends, until it closes its side, or `maxBytes` more arrived, or `maxMs` passed — then destroy. The
 * server's own deadlines still apply meanwhile (`TELEMETRY_REQUEST_TIMEOUT_MS` cuts an unfinished body).
 */
export function discardRest(res: ServerResponse, limits: LingerLimits = { maxBytes: LINGER_MAX_BYTES, maxMs: LINGER_MAX_MS }): void {
  const req = res.req;
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  let drained = 0;
  const cut = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.maxBytes) cut();
  });
  req.resume();
  const timer = setTimeout(cut, limits.maxMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // The client has sent all it will (finished the body, or closed its side): nothing unread is left to reset on;
  // close once the answer is out.
  req.once('end', () => closeAfterWrites(socket));
  socket.once('end', () => closeAfterWrites(socket));
  // Called by node:http once the answer is written; the read side stays open (http sockets allow half-open).
  socket.destroySoon = () => {
    if (!socket.writableEnded) socket.end();
  };
}

function closeAfterWrites(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
