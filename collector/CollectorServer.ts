import { createSelfMetrics, type SelfMetrics } from './metrics/selfMetrics.js';
import { eventStreamsOf } from './routes/streams.js';
import { diag } from '../core/diag.js';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestError, StoreError, type TelemetryError } from '../core/errors.js';
import type { CollectorConfig } from './config.js';
import { BearerAuth } from './http/auth.js';
import { mediaTypeOf, unsupportedType } from './http/contentType.js';
import { isOwnOrigin, isServedHost, listedOrigin } from './http/origin.js';
import { clientKey, RateLimiter } from './http/RateLimiter.js';
import { asTelemetryError, errorBody, isLingering, JSON_TYPE, LINGER_MAX_BYTES, sendError } from './http/respond.js';
import { normalizePath, RouteTable, type CollectorContext, type CollectorStats, type Route, type RouteContext } from './router.js';
import type { TelemetryStore } from './stores/TelemetryStore.js';
import { ErrorCode } from '../core/errorCodes.js';

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
/** How long a connection refused by the HTTP parser (400, 408, 431) is drained before it is cut. */
const CLIENT_ERROR_LINGER_MS = 1000;

/**
 * The HTTP edge of the collector: node:http with a small routing table. For every request, in this order: route
 * match (404/405), shutdown check (503), per-client rate limit (429 + Retry-After; token holders in their own bucket),
 * bearer token (401), then the route, which checks content type and size before it parses. Nothing a client sends can throw out of here: every
 * failure becomes a coded JSON answer (or the route's own error format) and unexpected ones are logged through diag.
 */
/** The route template a response answers (`http.route` of the request metrics). */
const routeTemplate = new WeakMap<ServerResponse, string>();

export class CollectorServer {
  private readonly metrics: SelfMetrics | undefined;
  readonly server: Server;
  readonly context: CollectorContext;
  private readonly table: RouteTable;
  private readonly auth: BearerAuth | undefined;
  private readonly adminAuth: BearerAuth | undefined;
  /** TELEMETRY_CORS_ORIGINS as browsers send them (`new URL(o).origin`). */
  private readonly corsOrigins: readonly string[];
  private readonly limiter: RateLimiter | undefined;
  private readonly inFlight = new Set<ServerResponse>();
  private idleWaiters: (() => void)[] = [];
  /** Requests with a body being handled now (their bodies are what costs memory). */
  private uploads = 0;
  private closing = false;

  constructor(config: CollectorConfig, store: TelemetryStore, routes: readonly Route[]) {
    const stats: CollectorStats = { requests: 0, eventsReceived: 0, eventsStored: 0, duplicates: 0, rejected: 0, otlpAppLogs: 0 };
    const metrics = createSelfMetrics({
      followStreams: () => eventStreamsOf(this.context, this.server).followCount,
      dedupWindowSize: () => (store as { dedupWindowSize?: () => number }).dedupWindowSize?.(),
    });
    this.metrics = 'unavailable' in metrics ? undefined : metrics;
    // The routes see the store through the metrics (append timed, outcomes counted); the store itself is unchanged.
    this.context = { config, store: this.metrics ? this.metrics.meter(store) : store, stats, metrics };
    this.table = new RouteTable(routes);
    this.auth = config.authToken !== undefined ? new BearerAuth(config.authToken) : undefined;
    this.adminAuth = config.adminToken !== undefined ? new BearerAuth(config.adminToken) : undefined;
    this.corsOrigins = (config.corsOrigins ?? []).map((o) => new URL(o.toLowerCase()).origin);
    this.limiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit, config.rateBurst > 0 ? config.rateBurst : config.rateLimit * 2) : undefined;
    this.server = createServer(
      {
        requestTimeout: config.requestTimeoutMs,
        headersTimeout: config.headersTimeoutMs,
        // Node checks both deadlines only every connectionsCheckingInterval (default 30 s), so a 10 s headers
        // timeout would really be up to 40 s and slow-loris connections would pile up meanwhile.
        connectionsCheckingInterval: checkingIntervalOf(config),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.keepAliveTimeout = config.keepAliveTimeoutMs;
    this.server.on('clientError', onClientError);
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.context.config;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new RequestError(ErrorCode.LISTEN, 500, `could not listen on ${host}:${port}: ${err.message}${err.code === 'EADDRINUSE' ? ' (set TELEMETRY_PORT to a free port, or 0 for any)' : ''}`, { cause: err }));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => diag.error(`collector server error: ${err.message}`));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stop accepting connections, let in-flight requests finish (their connections then close), close idle
   * keep-alive connections; after `timeoutMs` cut whatever is left. Resolves when the listener is closed.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const drained = new Promise<'drained'>((resolve) => {
      if (this.inFlight.size === 0) resolve('drained');
      else this.idleWaiters.push(() => resolve('drained'));
    });
    if ((await Promise.race([drained, deadline])) === 'timeout') {
      diag.warn(`${this.inFlight.size} request(s) still running after ${timeoutMs} ms (TELEMETRY_SHUTDOWN_TIMEOUT_MS); closing their connections`);
    }
    this.server.closeAllConnections();
    await closed;
    clearTimeout(timer);
    await this.metrics?.shutdown();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (isLingering(req.socket)) {
      // Pipelined behind a request answered early: the connection only drains until it closes; nothing on it is handled.
      req.socket.destroy();
      return;
    }
    this.context.stats.requests++;
    this.inFlight.add(res);
    const started = this.metrics ? performance.now() : 0;
    // 'close' comes after 'finish' (answer handed to the OS) or when the connection drops: either way, not in flight.
    const finish = (): void => {
      this.inFlight.delete(res);
      this.metrics?.requestDone(req.method ?? 'GET', routeTemplate.get(res) ?? 'unmatched', res.statusCode, (performance.now() - started) / 1000);
      if (this.inFlight.size === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    };
    res.once('close', finish);
    if (this.closing) res.shouldKeepAlive = false;
    this.dispatch(req, res).catch((err: unknown) => {
      // Only reached if an error answer itself failed; the connection is the last thing left to clean up.
      diag.error(`collector could not answer ${req.method} ${req.url}: ${(err as Error).message}`);
      res.destroy();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = normalizePath(q === -1 ? url : url.slice(0, q));
    const query = q === -1 ? '' : url.slice(q + 1);
    const match = this.table.match(req.method ?? 'GET', path);
    let route: Route | undefined;
    let params = NO_PARAMS;
    const headers: Record<string, string> = {};
    let ctx: RouteContext | undefined;
    try {
      // DNS rebinding: without a token, only requests addressed to this machine by a loopback name are served.
      if (this.auth === undefined && !isServedHost(req, this.context.config.host)) {
        throw new RequestError(ErrorCode.HOST, 421, `Host ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not served: without TELEMETRY_AUTH_TOKEN the collector answers only localhost, 127.0.0.1, [::1] and TELEMETRY_HOST`);
      }
      const origin = req.headers.origin;
      const cross = origin !== undefined && !isOwnOrigin(origin, req);
      const listed = cross ? listedOrigin(origin, this.corsOrigins) : undefined;
      if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
        this.preflight(req, res, path, listed);
        return;
      }
      if (cross) {
        const corsRoute = match.kind === 'found' && match.route.cors === true && match.route.admin !== true;
        if (listed === undefined || !corsRoute) {
          throw new RequestError(ErrorCode.ORIGIN, 403, `cross-origin request from ${JSON.stringify(origin.slice(0, 100))} refused: ${listed === undefined ? 'the origin is not in TELEMETRY_CORS_ORIGINS' : 'only the ingest routes allow CORS'}`);
        }
        res.setHeader('access-control-allow-origin', listed);
        res.setHeader('access-control-expose-headers', 'Retry-After, X-Telemetry-Recorded');
        res.setHeader('vary', 'Origin');
      }
      if (match.kind === 'reserved') {
        throw new RequestError(ErrorCode.SCENARIO, 400, `${JSON.stringify(match.value.slice(0, 80))} is a route name, never a ${match.param}`, { field: match.param });
      }
      if (match.kind === 'none') throw new RequestError(ErrorCode.NOT_FOUND, 404, `no route ${req.method} ${path.slice(0, 200)}`);
      if (match.kind === 'bad-path') throw new RequestError(ErrorCode.BAD_PATH, 400, 'malformed percent-encoding in the path');
      if (match.kind === 'method') {
        headers.allow = match.allow.join(', ');
        throw new RequestError(ErrorCode.METHOD, 405, `${req.method} is not allowed on ${path.slice(0, 200)} (allowed: ${headers.allow})`);
      }
      route = match.route;
      params = match.params;
      routeTemplate.set(res, route.path);
      ctx = { req, res, path, query, params, collector: this.context };
      if (this.closing) {
        headers['retry-after'] = '1';
        throw new RequestError(ErrorCode.SHUTTING_DOWN, 503, 'the collector is shutting down; retry shortly');
      }
      // Admin routes take only the admin token when one is set; elsewhere the admin token is as good as the token.
      const adminOnly = route.auth !== false && route.admin === true && this.adminAuth !== undefined;
      const needsToken = adminOnly || (route.auth !== false && this.auth !== undefined);
      const tokenValid = needsToken && (adminOnly ? this.adminAuth!.check(req) : this.auth!.check(req) || (this.adminAuth?.check(req) ?? false));
      if (route.rateLimited !== false && this.limiter !== undefined) {
        // Keyed per IPv4 address or IPv6 /64; requests with the valid token count in a bucket of their own, so a
        // flood without it cannot make the token holder's requests wait.
        const key = clientKey(req.socket.remoteAddress ?? '');
        const wait = this.limiter.take(tokenValid ? `token ${key}` : key);
        if (wait > 0) {
          headers['retry-after'] = String(wait);
          throw new RequestError(ErrorCode.RATE_LIMIT, 429, `too many requests from this client; retry after ${wait} s (TELEMETRY_RATE_LIMIT)`);
        }
      }
      if (needsToken && !tokenValid) {
        if (adminOnly && this.auth?.check(req) === true) {
          throw new RequestError(ErrorCode.FORBIDDEN, 403, `${route.method} ${route.path} changes state for every app on this data dir: it needs TELEMETRY_ADMIN_TOKEN, TELEMETRY_AUTH_TOKEN is not enough`);
        }
        throw new RequestError(ErrorCode.UNAUTHORIZED, 401, `missing or wrong bearer token (Authorization: Bearer <${adminOnly ? 'TELEMETRY_ADMIN_TOKEN' : 'TELEMETRY_AUTH_TOKEN'}>)`);
      }
      if (route.admin === true) {
        // Never a "simple" request a cross-site form or fetch could send without a preflight.
        const type = mediaTypeOf(req);
        if (type !== 'application/json') throw unsupportedType(type, ['application/json']);
      }
      if (route.method === 'GET' || route.method === 'DELETE') {
        await route.handle(ctx);
      } else {
        if (this.uploads >= this.context.config.maxConcurrentUploads) {
          headers['retry-after'] = '1';
          throw new RequestError(ErrorCode.BUSY, 503, `${this.uploads} uploads are being received; retry shortly (TELEMETRY_MAX_CONCURRENT_UPLOADS)`);
        }
        this.uploads++;
        try {
          await route.handle(ctx);
        } finally {
          this.uploads--;
        }
      }
    } catch (err) {
      let e: TelemetryError = asTelemetryError(err);
      if (e instanceof StoreError) {
        // Storage trouble (disk full, read-only dir) is the server's and usually passes: retryable, and logged.
        diag.error(`collector store failed: ${e.message}`);
        headers['retry-after'] = '5';
        e = new RequestError(ErrorCode.STORE, 503, `events could not be stored: ${e.message}`, { cause: e });
      } else if (e.statusCode >= 500) {
        diag.error(`collector failed on ${req.method} ${path}: ${(e.cause as Error | undefined)?.stack ?? e.message}`);
      }
      if (route?.onError !== undefined && ctx !== undefined) route.onError(ctx, e, headers);
      else sendError(res, e, headers);
    }
  }

  /**
   * A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): 204 with the CORS headers when
   * the origin is listed in TELEMETRY_CORS_ORIGINS and the method and path name an ingest route; otherwise 403.
   */
  private preflight(req: IncomingMessage, res: ServerResponse, path: string, listed: string | undefined): void {
    const wanted = String(req.headers['access-control-request-method']).toUpperCase();
    const m = this.table.match(wanted, path);
    const corsRoute = m.kind === 'found' && m.route.cors === true && m.route.admin !== true;
    if (listed === undefined || !corsRoute) {
      const why = listed === undefined ? 'the origin is not in TELEMETRY_CORS_ORIGINS' : `${wanted.slice(0, 20)} ${path.slice(0, 200)} is not an ingest route`;
      throw new RequestError(ErrorCode.ORIGIN, 403, `CORS preflight from ${JSON.stringify(String(req.headers.origin).slice(0, 100))} refused: ${why}`);
    }
    res.writeHead(204, {
      'access-control-allow-origin': listed,
      'access-control-allow-methods': m.route.method,
      'access-control-allow-headers': 'Authorization, Content-Type, Content-Encoding',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    res.end();
  }
}

/** How often Node checks the headers and request deadlines: a quarter of the shorter one, within 250 ms..5 s. */
function checkingIntervalOf(config: Pick<CollectorConfig, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  return Math.min(5000, Math.max(250, Math.floor(Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4)));
}

/**
 * Requests Node's parser refuses before any route sees them (malformed request line or headers, headers too large,
 * headers or body not received within their deadline) get the same coded JSON error body as every other refusal,
 * instead of Node's bare status line. Then the connection is closed: what the client still sends is read and dropped
 * for at most a second and `LINGER_MAX_BYTES` (closing with unread data would reset the connection before the client
 * reads the answer). Shorter than the linger after a route's early answer: the request is malformed or already past
 * its deadline, and its client is rarely one that needs the time.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const res = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (res != null && res.headersSent)) {
    socket.destroy();
    return;
  }
  let e: RequestError;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    e = new RequestError(ErrorCode.TIMEOUT, 408, 'request not received in time (TELEMETRY_HEADERS_TIMEOUT_MS for the headers, TELEMETRY_REQUEST_TIMEOUT_MS for the whole request)');
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    e = new RequestError(ErrorCode.HEADERS_TOO_LARGE, 431, 'request headers too large');
  } else {
    e = new RequestError(ErrorCode.BAD_REQUEST, 400, `malformed HTTP request (${String(err.code ?? err.message).slice(0, 60)})`);
  }
  const body = JSON.stringify(errorBody(e));
  socket.end(`HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  let drained = 0;
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_MAX_BYTES) socket.destroy();
  });
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
