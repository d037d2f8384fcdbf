import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../collector/index.js';
import { RpcStatus } from '../../collector/otlp/protobuf.js';
import { isSafeScenario } from '../../core/scenario.js';
import { readJsonl, tmpDir } from '../helpers.js';
import { bodyBytes, hostileCorpus, TOKEN, UPLOAD, type HostileCase } from './fixtures/index.js';
import { rawRequest, type RawRequest, type RawResponse } from './rawHttp.js';
import { TRACE_USAGE_FILE } from '../../collector/usage/TraceUsageBook.js';

/**
 * The hostile-input corpus (fixtures/) against one real collector on 127.0.0.1, port 0, in this process (so the
 * prototype-pollution check sees the server's own Object.prototype). Around every case: a valid event before and
 * after (each must be stored exactly once), and after it the server answers /healthz, nothing new exists outside
 * the data dir (the whole parent temp dir is compared with a snapshot; the data dir sits four levels down so `../`
 * chains stay inside the snapshot), the data dir holds only `{safe scenario}.jsonl` files, and no prototype grew.
 */

const parent = tmpDir('hostile-');
const dir = join(parent, 'l1', 'l2', 'l3', 'data');
const outsideFile = join(parent, 'outside', 'target.txt');
const OUTSIDE_TEXT = 'a file outside the data dir: never written through a symlink\n';
let collector: Collector;

type Snapshot = Map<string, string>;

/** Every entry under `root` (not following symlinks) with its type, size and mtime; the data dir's content skipped. */
function snapshot(root: string, out: Snapshot = new Map()): Snapshot {
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.set(p, `link→${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.set(p, 'dir');
      if (p !== dir) snapshot(p, out);
    } else out.set(p, `file:${st.size}:${st.mtimeMs}`);
  }
  return out;
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const prototypeKeys = (): string[][] => PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort());

let baseline: Snapshot;
let protoBaseline: string[][];
const sentinels: string[] = [];

async function uploadSentinel(id: string): Promise<void> {
  const res = await fetch(`${collector.url}${UPLOAD}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify([{ scenario: 'corpus', event: 'sentinel', id, details: { case: id } }]),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'accepted', events_received: 1, events_stored: 1 });
  sentinels.push(id);
}

/** The raw request a fixture describes. */
function requestOf(c: HostileCase): RawRequest {
  if (c.raw !== undefined) return { head: '', raw: Buffer.from(c.raw.replaceAll('{TOKEN}', TOKEN), 'latin1'), timeoutMs: 30_000 };
  const method = c.method ?? 'POST';
  const lines = [`${method} ${c.path ?? UPLOAD} HTTP/1.1`, 'Host: 127.0.0.1'];
  const auth = c.auth ?? 'valid';
  if (auth === 'valid') lines.push(`Authorization: Bearer ${TOKEN}`);
  else if (auth !== 'none') lines.push(`Authorization: ${auth.header}`);
  const body = c.body === undefined ? undefined : bodyBytes(c.body);
  const contentType = c.contentType === undefined ? (body !== undefined ? 'application/json' : null) : c.contentType;
  if (contentType !== null) lines.push(`Content-Type: ${contentType}`);
  lines.push(...(c.headers ?? []));
  const framing = c.framing ?? 'length';
  const req: RawRequest = { head: '', timeoutMs: 30_000 };
  if (body !== undefined) {
    if (framing === 'chunked') {
      lines.push('Transfer-Encoding: chunked');
      req.chunked = true;
      // Several chunks, as a streaming client would send them.
      const parts: Buffer[] = [];
      for (let off = 0; off < body.length; off += 256 * 1024) parts.push(body.subarray(off, off + 256 * 1024));
      req.body = parts;
    } else {
      lines.push(`Content-Length: ${typeof framing === 'object' ? framing.declared : body.length}`);
      req.body = [c.stallAfterBytes !== undefined ? body.subarray(0, c.stallAfterBytes) : body];
    }
  }
  req.head = lines.join('\r\n');
  // Slow clients must be cut off by the server's deadlines (1 s headers, 2 s request), well before ours.
  if (c.trickle) req.trickle = { ...c.trickle, maxMs: 10_000 };
  if (c.trickle || c.stallAfterBytes !== undefined) req.timeoutMs = 10_000;
  return req;
}

function plant(c: HostileCase): void {
  // Planted once; later cases that name the plant find it there.
  if (c.plant === 'symlink-evil-scenario' && !readdirSync(dir).includes('evil.jsonl')) symlinkSync(outsideFile, join(dir, 'evil.jsonl'));
}

/** The error code and message of an answer, whatever its form (JSON error body, OTLP status in JSON or protobuf). */
function errorOf(c: HostileCase, res: RawResponse): { code?: string; message?: string; field?: string } {
  if (c.protobufAnswer) {
    const s = RpcStatus.toObject(RpcStatus.decode(res.bytes)) as { message?: string };
    return { code: s.message?.split(':')[0], message: s.message };
  }
  const b = res.body as Record<string, unknown> | undefined;
  if (b === undefined) return {};
  if (typeof b.message === 'string' && typeof b.code === 'number') return { code: b.message.split(':')[0], message: b.message };
  const partial = (b.partialSuccess as { errorMessage?: string } | undefined)?.errorMessage;
  return { code: typeof b.code === 'string' ? b.code : undefined, message: (b.error as string | undefined) ?? partial, field: b.field as string | undefined };
}

function checkAnswer(c: HostileCase, res: RawResponse): void {
  const e = c.expect;
  const where = `${c.name}: ${res.status} ${res.text.slice(0, 400)}`;
  expect(res.timedOut, where).toBe(false);
  expect(res.status, where).toBe(e.status);
  const err = errorOf(c, res);
  if (e.status >= 400) {
    // Every refusal is a coded body naming the problem: JSON (or the OTLP status in the request's encoding).
    expect(res.headers['content-type'], where).toMatch(c.protobufAnswer ? /application\/x-protobuf/ : /application\/json/);
    if (!c.protobufAnswer) expect((res.body as { status?: unknown } | undefined)?.status ?? (res.body as { code?: unknown }).code, where).toBeDefined();
    expect(err.message, where).toBeTruthy();
  }
  if (e.code !== undefined) expect(err.code, where).toBe(e.code);
  if (e.message !== undefined) expect(err.message ?? '', where).toContain(e.message);
  const events = ((res.body as { errors?: { code: string; field?: string }[] } | undefined)?.errors ?? []);
  if (e.field !== undefined) {
    const fields = [err.field, ...events.map((x) => x.field)].filter((f): f is string => typeof f === 'string');
    expect(fields.some((f) => f.includes(e.field!)), `${where}\nfields: ${JSON.stringify(fields)}`).toBe(true);
  }
  if (e.eventCode !== undefined) expect(events.map((x) => x.code), where).toContain(e.eventCode);
  if (e.body !== undefined) expect(res.body, where).toMatchObject(e.body);
  for (const [name, value] of Object.entries(e.header ?? {})) expect(res.headers[name] ?? '', where).toContain(value);
}

/** Lines of `{dir}/{scenario}.jsonl` by id. */
function idCounts(scenario: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readJsonl(join(dir, `${scenario}.jsonl`))) counts.set(String(line.id), (counts.get(String(line.id)) ?? 0) + 1);
  return counts;
}

describe('hostile-input corpus against a real collector', () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(join(parent, 'outside'));
    writeFileSync(outsideFile, OUTSIDE_TEXT);
    collector = await startCollector({ port: 0, host: '127.0.0.1', dir, env: {}, authToken: TOKEN, headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    baseline = snapshot(parent);
    protoBaseline = prototypeKeys();
  });

  afterAll(async () => {
    await collector?.close();
  });

  it(`holds at least 60 cases with unique names (${hostileCorpus.length})`, () => {
    expect(hostileCorpus.length).toBeGreaterThanOrEqual(60);
    expect(new Set(hostileCorpus.map((c) => c.name)).size).toBe(hostileCorpus.length);
  });

  hostileCorpus.forEach((c, i) => {
    it(c.name, async () => {
      await uploadSentinel(`before-${i}`);
      plant(c);
      const res = await rawRequest(collector.port, requestOf(c));
      checkAnswer(c, res);

      // The server stays up and keeps accepting valid events.
      const health = await rawRequest(collector.port, { head: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1', timeoutMs: 10_000 });
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      await uploadSentinel(`after-${i}`);

      // No prototype grew a key, and nothing was polluted.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
      expect(prototypeKeys()).toEqual(protoBaseline);

      // Nothing created, changed or removed outside the data dir; inside it only safe store files (and the plant).
      expect(snapshot(parent)).toEqual(baseline);
      expect(readFileSync(outsideFile, 'utf8')).toBe(OUTSIDE_TEXT);
      for (const name of readdirSync(dir)) {
        const st = lstatSync(join(dir, name));
        if (name === 'evil.jsonl') expect(st.isSymbolicLink()).toBe(true);
        else {
          expect(st.isFile(), name).toBe(true);
          // The usage counted from OTLP traces and metrics is the one store file that is not a scenario's JSONL.
          if (name === TRACE_USAGE_FILE) continue;
          // The collector's own: its lock (one collector per dir) and the dir's identity (collector/dataDir.ts).
          if (name === 'collector.lock' || name === 'store-id') continue;
          // Its save in flight (core/stateFile: hidden temp file with a random name, renamed over it).
          if (/^\.trace-usage\.json\.[0-9a-f]{32}\.tmp$/.test(name)) continue;
          expect(name.endsWith('.jsonl') && isSafeScenario(name.slice(0, -'.jsonl'.length)), name).toBe(true);
        }
      }
      for (const abs of ['/tmp/escape.jsonl', '/tmp/escape', '/escape.jsonl']) expect(existsSync(abs), abs).toBe(false);

      // Every sentinel so far is stored exactly once; the case's own stored ids too.
      const counts = idCounts('corpus');
      for (const id of sentinels) expect(counts.get(id), id).toBe(1);
      for (const ref of c.storedOnce ?? []) {
        const [scenario, id] = ref.split('/') as [string, string];
        expect(idCounts(scenario).get(id), ref).toBe(1);
      }
    });
  });

  it('stored exactly the events accepted around the cases: no hostile event in any file, every line well-formed', () => {
    const counts = idCounts('corpus');
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(sentinels.length);
    expect(sentinels.length).toBe(2 * hostileCorpus.length);
    for (const name of readdirSync(dir)) {
      if (name === 'evil.jsonl' || name === 'collector.lock' || name === 'store-id' || /^\.trace-usage\.json\.[0-9a-f]{32}\.tmp$/.test(name)) continue;
      if (name === TRACE_USAGE_FILE) {
        // Usage from the OTLP metrics cases: only safe scenario names, plain counts; nothing polluted.
        const usage = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { scenarios: Record<string, { metrics?: Record<string, number> }> };
        for (const [scenario, u] of Object.entries(usage.scenarios)) {
          expect(isSafeScenario(scenario), scenario).toBe(true);
          for (const n of Object.values(u.metrics ?? {})) expect(Number.isFinite(n) && n > 0).toBe(true);
        }
        continue;
      }
      // Only the scenarios the corpus meant to store; "hostile" events are all refused.
      expect(['corpus.jsonl', 'corpus-ndjson.jsonl', 'corpus-dup.jsonl', 'corpus-wrapper.jsonl', 'corpus-otlp.jsonl', 'corpus-numbers.jsonl']).toContain(name);
      for (const line of readJsonl(join(dir, name))) {
        expect(typeof line.event).toBe('string');
        expect(typeof line.id).toBe('string');
        expect(line.scenario).toBe(name.slice(0, -'.jsonl'.length));
      }
    }
  });
});
