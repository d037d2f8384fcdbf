import { afterEach } from 'vitest';
import { startCollector, type Collector, type StartCollectorOptions } from '../../collector/index.js';
import { tmpDir } from '../helpers.js';

const running: Collector[] = [];

afterEach(async () => {
  while (running.length > 0) await running.pop()!.close();
});

/** A real collector on an ephemeral loopback port with a fresh data dir; closed after each test. */
export async function collector(options: StartCollectorOptions = {}): Promise<Collector> {
  const c = await startCollector({ port: 0, host: '127.0.0.1', dir: options.dir ?? tmpDir('collector-'), env: {}, ...options });
  running.push(c);
  return c;
}

/** Stop a collector started by `collector()` before the test ends (e.g. to restart on the same dir). */
export async function stop(c: Collector): Promise<void> {
  const i = running.indexOf(c);
  if (i !== -1) running.splice(i, 1);
  await c.close();
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Answer> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  let body = rest.body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await fetch(url, { ...rest, headers, body, method: rest.method ?? (body === undefined ? 'GET' : 'POST') });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export function upload(c: Collector, body: unknown, init: RequestInit & { query?: string } = {}): Promise<Answer> {
  const { query, ...rest } = init;
  const url = `${c.url}/api/v1/telemetry/upload${query ? `?${query}` : ''}`;
  if (typeof body === 'string' || body instanceof Uint8Array) return request(url, { method: 'POST', ...rest, body: body as RequestInit['body'] });
  return request(url, { ...rest, json: body });
}
