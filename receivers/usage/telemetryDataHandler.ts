import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '../../core/diag.js';
import type { TelemetryData } from './telemetryData.js';
import { getTelemetryData } from './activeUsage.js';
import { ErrorCode } from '../../core/errorCodes.js';

export interface TelemetryDataHandlerOptions {
  /** Where the data comes from; default the active pipeline's `getTelemetryData()`. */
  source?: () => TelemetryData;
}

/**
 * A ready request handler that serves `getTelemetryData()` as JSON (Camunda's `GET /telemetry/data`), for a host
 * app's own server. It never sends anything anywhere and works while telemetry is off. One line each:
 *
 * ```ts
 * http.createServer((req, res) => req.url === '/telemetry/data' ? handler(req, res) : app(req, res));
 * expressApp.get('/telemetry/data', telemetryDataHandler());
 * fastify.get('/telemetry/data', (req, reply) => { reply.hijack(); telemetryDataHandler()(req.raw, reply.raw); });
 * ```
 * GET and HEAD answer 200; other methods 405 with `Allow`. Mount it behind your own auth if the data is not public.
 */
export function telemetryDataHandler(options: TelemetryDataHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const source = options.source ?? getTelemetryData;
  return (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, JSON.stringify({ error: 'method not allowed', code: ErrorCode.METHOD }), { allow: 'GET, HEAD' });
        return;
      }
      const body = JSON.stringify(source());
      send(res, 200, req.method === 'HEAD' ? undefined : body, {}, Buffer.byteLength(body));
    } catch (err) {
      diag.warn(`GET /telemetry/data failed: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'telemetry data unavailable', code: ErrorCode.INTERNAL }));
      else res.end();
    }
  };
}

function send(res: ServerResponse, status: number, body: string | undefined, headers: Record<string, string> = {}, length?: number): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(length ?? Buffer.byteLength(body ?? '')),
    ...headers,
  });
  res.end(body);
}
