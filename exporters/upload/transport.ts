import type http from 'node:http';
import { UploadError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { STORE_ID_HEADER } from '../../core/storeId.js';
import { builtin } from './builtins.js';
import { connectTunnel, proxyAuthorization, proxyFor } from './proxy.js';

/** Bodies below this are sent plain: compressing them saves nothing worth a round through the thread pool. */
export const GZIP_MIN_BYTES = 1024;
/** Most of a response body kept (for the diag log and the quarantine's error file); the rest is drained. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The response body, first 64 KiB at most. */
  readonly body: string;
}

export interface PostOptions {
  format: 'json' | 'ndjson';
  token: string | undefined;
  gzip: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The identity of the data dir the events come from (`{dir}/store-id`): a collector storing into it refuses (409). */
  storeId?: string;
}

/**
 * The HTTP client of the uploader: one POST per batch over a keep-alive agent.
 *
 * Sockets are `unref`'d: a background upload never keeps the host process alive (the data is safe in the store and
 * is sent on the next start). When the host waits for delivery (forceFlush, shutdown), the uploader holds the
 * process open itself, and only until its deadline.
 */
export class UploadTransport {
  readonly url: URL;
  /** The proxy uploads go through (`HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY`; see proxy.ts), if any. */
  readonly proxy: URL | undefined;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(url: string, env: NodeJS.ProcessEnv = process.env) {
    this.url = new URL(url);
    const secure = this.url.protocol === 'https:';
    // node:http(s) are loaded here, when an upload URL is configured, not when the package is imported: most apps
    // never upload, and every app pays for what the package loads at start-up (~1 MB RSS for node:https).
    const lib = builtin(secure ? 'node:https' : 'node:http');
    this.proxy = proxyFor(this.url, env);
    this.request = lib.request;
    const proxy = this.proxy;
    if (proxy !== undefined && secure) {
      // https through a proxy: CONNECT tunnel, then TLS to the endpoint over it (end-to-end; the proxy sees the host only).
      const httpLib = builtin('node:http');
      const tls = builtin('node:tls');
      const agent = new lib.Agent({ keepAlive: true, maxSockets: 4 }) as http.Agent & { createConnection: unknown };
      agent.createConnection = (options: import('node:tls').ConnectionOptions, callback: (err: Error | null, socket?: unknown) => void): undefined => {
        connectTunnel(httpLib, proxy, this.url.hostname.replace(/^\[|\]$/g, ''), this.url.port || '443', (err, socket) => {
          if (err || !socket) return callback(err ?? new Error('no tunnel'));
          callback(null, tls.connect({ ...options, socket, servername: options.servername ?? this.url.hostname }));
        });
        return undefined;
      };
      this.agent = agent;
    } else {
      this.agent = new lib.Agent({ keepAlive: true, maxSockets: 4 });
    }
  }

  /** Compress when asked and worthwhile. */
  async encode(body: Buffer, gzip: boolean): Promise<{ payload: Buffer; gzipped: boolean }> {
    if (!gzip || body.length < GZIP_MIN_BYTES) return { payload: body, gzipped: false };
    // Level 1: on JSON telemetry it compresses about as well as the default level 6 (repeated keys dominate) at
    // roughly half the CPU, and it runs in the thread pool, off the host's event loop.
    const zlib = builtin('node:zlib');
    const payload = await new Promise<Buffer>((resolve, reject) => {
      zlib.gzip(body, { level: zlib.constants.Z_BEST_SPEED }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    return { payload, gzipped: true };
  }

  /**
   * POST a prepared payload. Resolves with the status and (bounded) body for any HTTP answer; rejects with a
   * retryable UploadError (statusCode 0) on network errors, timeouts and aborts.
   */
  post(payload: Buffer, gzipped: boolean, options: PostOptions): Promise<PostResponse> {
    if (options.signal?.aborted) return Promise.reject(new UploadError(`upload to ${redactUrl(this.url)} aborted (deadline or telemetry turned off)`, 0, true));
    return new Promise<PostResponse>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        'content-type': options.format === 'json' ? 'application/json' : 'application/x-ndjson',
        'content-length': payload.length,
        'user-agent': `otel-product-telemetry/${VERSION}`,
        accept: 'application/json',
      };
      if (gzipped) headers['content-encoding'] = 'gzip';
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.storeId !== undefined) headers[STORE_ID_HEADER] = options.storeId;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (message: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new UploadError(message, 0, true, { cause }));
      };
      // http through a proxy: the request goes to the proxy with the absolute URL as its target (RFC 9112 3.2.2).
      const viaProxy = this.proxy !== undefined && this.url.protocol === 'http:' ? this.proxy : undefined;
      if (viaProxy) {
        headers.host = this.url.host;
        const auth = proxyAuthorization(viaProxy);
        if (auth) headers['proxy-authorization'] = auth;
      }
      const requestOptions = { method: 'POST', agent: this.agent, headers, signal: options.signal };
      const onResponse = (res: http.IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BYTES) {
            chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - kept));
            kept += Math.min(chunk.length, MAX_RESPONSE_BYTES - kept);
          }
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => fail(`response from ${redactUrl(this.url)} broke off: ${err.message}`, err));
        res.on('aborted', () => fail(`response from ${redactUrl(this.url)} was aborted`));
      };
      const req = viaProxy
        ? this.request({ ...requestOptions, host: viaProxy.hostname.replace(/^\[|\]$/g, ''), port: viaProxy.port || 80, path: this.url.href }, onResponse)
        : this.request(this.url, requestOptions, onResponse);
      timer = setTimeout(() => fail(`no answer from ${redactUrl(this.url)} within ${options.timeoutMs} ms (TELEMETRY_UPLOAD_TIMEOUT_MS)`), options.timeoutMs);
      timer.unref();
      req.on('socket', (socket) => socket.unref());
      req.on('error', (err) => {
        const aborted = (err as { name?: string }).name === 'AbortError';
        fail(aborted ? `upload to ${redactUrl(this.url)} aborted (deadline or telemetry turned off)` : `could not reach ${redactUrl(this.url)}: ${err.message}`, err);
      });
      req.end(payload);
    });
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** A URL fit for logs: no user info, no query (either may carry credentials). */
export function redactUrl(url: URL | string): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
