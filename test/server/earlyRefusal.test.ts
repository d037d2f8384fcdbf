import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tmpDir, SERVE_ARGS } from '../helpers.js';
import { Uploader } from '../../exporters/upload/Uploader.js';
import { LINGER_MAX_BYTES, LINGER_MAX_MS } from '../../collector/http/respond.js';
import { range, storedIds, UPLOAD_PATH } from '../upload/collector.js';
import { storeLines } from '../upload/endpoint.js';
import { startProcess, type RunningProcess } from '../upload/processes.js';

/**
 * "Early refusals are readable": the collector answers some requests before it has read their body (401, 413 on a
 * declared length, 415). It must then keep reading and dropping the rest for a while (a lingering close) rather than
 * close at once: a close with unread bytes resets the connection, and a client still sending — Node's `fetch`, curl,
 * OTel exporters, our own uploader — sees EPIPE/ECONNRESET instead of the answer. The collector runs as its own
 * process, as deployed (in one process the race is hidden).
 */

const TOKEN = 'early-refusal-token-77';
const MAX_BODY = 256 * 1024;
let collector: RunningProcess;
let url: string;
let serverDir: string;

beforeAll(async () => {
  serverDir = tmpDir();
  collector = startProcess(SERVE_ARGS, { NO_COLOR: '1',  TELEMETRY_PORT: '0', TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: serverDir, TELEMETRY_AUTH_TOKEN: TOKEN, TELEMETRY_MAX_BODY_BYTES: String(MAX_BODY) });
  const m = await collector.waitForOutput(/listening on (http:\/\/\S+)/);
  url = m[1]!;
}, 30_000);

afterAll(() => collector?.kill());

const big = Buffer.alloc(6.6 * 1000 * 1000, 'a'); // 6.6 MB, far over the limit

async function post(headers: Record<string, string>): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const res = await fetch(url + UPLOAD_PATH, { method: 'POST', headers, body: big, signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.json() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { error: `${e.message}: ${e.cause?.code ?? e.cause?.message ?? ''}` };
  }
}

describe('early refusals: a client still sending its body reads the answer', () => {
  const cases: [string, Record<string, string>, number, string][] = [
    ['413: 6.6 MB over TELEMETRY_MAX_BODY_BYTES', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, 413, 'OPT_ERR_BODY_TOO_LARGE'],
    ['401: no token', { 'content-type': 'application/json' }, 401, 'OPT_ERR_UNAUTHORIZED'],
    ['415: wrong content type', { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` }, 415, 'OPT_ERR_CONTENT_TYPE'],
  ];
  for (const [name, headers, status, code] of cases) {
    it(`${name}: Node's fetch sees the status and the coded body, 5 times of 5`, async () => {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await post(headers));
      expect(results).toEqual(Array(5).fill({ status, body: expect.objectContaining({ status: 'error', code }) }));
    }, 60_000);
  }

  /**
   * A raw client that declares 1 GiB and sends `send` bytes in 64 KiB writes — then, if `trickle`, 1 KiB every
   * 100 ms (a write to a connection the server has closed is answered with a reset: that is how the client learns).
   */
  function declareHuge(send: number, trickle = false): Promise<{ text: string; closedAfterMs: number; written: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: Number(new URL(url).port), allowHalfOpen: true });
      let text = '';
      let written = 0;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connection still open after 20 s; got ${text.slice(0, 200)}`));
      }, 20_000);
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(timer);
        resolve({ text, closedAfterMs: Date.now() - started, written });
      });
      s.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${1024 ** 3}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        while (written < send && !s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        if (trickle && !s.destroyed) {
          written += 1024;
          s.write(chunk.subarray(0, 1024));
          setTimeout(pump, 100);
        }
      };
      pump();
    });
  }

  it('the lingering drain ends after LINGER_MAX_MS: a client that trickles its body is cut off, and the collector keeps serving', async () => {
    const r = await declareHuge(64 * 1024, true);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toContain('OPT_ERR_BODY_TOO_LARGE');
    expect(r.text.toLowerCase()).toContain('connection: close');
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(LINGER_MAX_MS - 500);
    expect(r.closedAfterMs).toBeLessThan(LINGER_MAX_MS + 5000);
    expect((await fetch(url + '/healthz')).status).toBe(200);
  }, 30_000);

  it('the lingering drain ends after LINGER_MAX_BYTES: a client that keeps sending is cut off', async () => {
    const r = await declareHuge(4 * LINGER_MAX_BYTES);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.written).toBeGreaterThan(LINGER_MAX_BYTES);
    expect(r.written).toBeLessThan(4 * LINGER_MAX_BYTES); // cut before it had sent all
    expect((await fetch(url + '/healthz')).status).toBe(200);
  }, 30_000);

  it('a request pipelined after an early-refused one is not processed while the connection lingers', async () => {
    const port = Number(new URL(url).port);
    const event = JSON.stringify([{ scenario: 'pipelined', event: 'e', id: 'after-refusal' }]);
    const text = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
      const body = Buffer.alloc(300 * 1024, 'a');
      s.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`);
      setTimeout(() => {
        // The 415 is out; now the rest of the refused body, and right behind it a valid upload.
        s.write(body);
        s.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(event)}\r\n\r\n${event}`);
      }, 200);
      setTimeout(() => s.destroy(), 3000);
    });
    expect(text).toMatch(/^HTTP\/1\.1 415 /);
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(storedIds(serverDir)).not.toContain('after-refusal');
  }, 30_000);

  it('our own uploader sees the 413 and splits the batch, instead of a network error', async () => {
    const dir = tmpDir();
    // About 3 MB in one batch (1000 events of 3 KB): the collector refuses it on its declared length, before reading.
    writeFileSync(join(dir, 'big.jsonl'), storeLines('big', 0, 1000, 'b', 3000));
    const u = new Uploader({ dir, url: url + UPLOAD_PATH, token: TOKEN, gzip: false, intervalMs: 3_600_000, initialDelayMs: 3_600_000, backoffMs: 20, maxBackoffMs: 200, timeoutMs: 10_000 }).start();
    try {
      await u.runOnce();
      const s = u.status();
      expect(s.last_error).toBeNull();
      expect(s.consecutive_failures).toBe(0);
      expect(s.pending_bytes).toBe(0);
      expect(s.sent_events).toBe(1000);
      expect(s.quarantined_events).toBe(0);
      expect(storedIds(serverDir).filter((id) => id.startsWith('b-')).sort()).toEqual(range('b', 1000).sort());
    } finally {
      await u.shutdown();
    }
  }, 60_000);
});

describe('early refusals: 429 from the rate limit is readable too', () => {
  let limited: RunningProcess;
  let limitedUrl: string;
  beforeAll(async () => {
    limited = startProcess(SERVE_ARGS, { NO_COLOR: '1',  TELEMETRY_PORT: '0', TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: tmpDir(), TELEMETRY_RATE_LIMIT: '1', TELEMETRY_RATE_BURST: '1' });
    limitedUrl = (await limited.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
  }, 30_000);
  afterAll(() => limited?.kill());

  it("Node's fetch sending 6.6 MB over the rate reads 429 and its coded body, every time", async () => {
    const statuses: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const res = await fetch(limitedUrl + UPLOAD_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big, signal: AbortSignal.timeout(15_000) });
        const body = (await res.json()) as { code?: string };
        statuses.push(`${res.status} ${body.code}`);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        statuses.push(`${e.message}: ${e.cause?.code ?? ''}`);
      }
    }
    // The bucket holds one request a second: the first (and any after a refill) gets past it to the 413.
    for (const s of statuses) expect(s).toMatch(/^(429 OPT_ERR_RATE_LIMIT|413 OPT_ERR_BODY_TOO_LARGE)$/);
    expect(statuses.filter((s) => String(s).startsWith('429')).length).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
