import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as the test endpoint received it (body already gunzipped when it came gzip-encoded). */
export interface ReceivedRequest {
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Bytes on the wire. */
  readonly wireBytes: number;
  readonly body: string;
  /** The events of the body (JSON array or NDJSON); empty when the body is neither. */
  readonly events: Record<string, unknown>[];
}

/**
 * What to answer: a status and JSON body (or `text`, sent verbatim), or `hang` (accept, read, never answer), or
 * `destroy` (cut the socket).
 */
export type Answer = { status: number; body?: unknown; text?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

export type Behaviour = (req: ReceivedRequest, index: number) => Answer;

/** The contract's normal answer. */
export const accept: Behaviour = (req) => ({ status: 200, body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length } });

export interface TestEndpoint {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  behaviour: Behaviour;
  /** Ids of events in requests answered 2xx, in order (with repeats if the client resent). */
  acceptedIds(): string[];
  close(): Promise<void>;
}

function parseEvents(body: string, contentType: string | undefined): Record<string, unknown>[] {
  try {
    if (contentType?.includes('ndjson')) return body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
    const v = JSON.parse(body) as unknown;
    return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
  } catch {
    return [];
  }
}

/**
 * A real node:http endpoint on 127.0.0.1 (ephemeral port unless given) that records every request and answers as
 * `behaviour` says — it may misbehave on purpose (413, 400, 429, hang) to test the client.
 */
export async function startTestEndpoint(behaviour: Behaviour = accept, port = 0): Promise<TestEndpoint> {
  const requests: ReceivedRequest[] = [];
  const answered = new Map<ReceivedRequest, number>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: string;
      try {
        body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      } catch {
        body = '';
      }
      const r: ReceivedRequest = { at: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, wireBytes: raw.length, body, events: parseEvents(body, req.headers['content-type']) };
      requests.push(r);
      const answer = ep.behaviour(r, requests.length - 1);
      if (answer === 'hang') return;
      if (answer === 'destroy') {
        req.socket.destroy();
        return;
      }
      answered.set(r, answer.status);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const ep: TestEndpoint = {
    url: `http://127.0.0.1:${actualPort}/api/v1/telemetry/upload`,
    port: actualPort,
    requests,
    behaviour,
    acceptedIds() {
      const ids: string[] = [];
      for (const r of requests) {
        const s = answered.get(r);
        if (s !== undefined && s >= 200 && s < 300) for (const e of r.events) ids.push(String(e.id));
      }
      return ids;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return ep;
}

/** A port that was free a moment ago (for "endpoint down, then up on the same address"). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Poll `check` every `stepMs` until it is true or `timeoutMs` passes; returns its last value. Bounded. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, stepMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

/** Store lines as the pipeline writes them (`core/line.ts` field order), with ids `{prefix}-{i}`. */
export function storeLines(scenario: string, from: number, count: number, prefix = 'ev', pad = 0): string {
  let out = '';
  for (let i = from; i < from + count; i++) {
    const details = pad > 0 ? `,"details":{"n":${i},"pad":"${'x'.repeat(pad)}"}` : `,"details":{"n":${i}}`;
    out += `{"ts":"2025-01-15T12:00:00.000Z","scenario":"${scenario}","event":"app_start"${details},"id":"${prefix}-${i}"}\n`;
  }
  return out;
}
