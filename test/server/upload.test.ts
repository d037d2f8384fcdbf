import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readJsonl, tmpDir } from '../helpers.js';
import { collector, upload } from './setup.js';

const EXAMPLE = [
  { scenario: 'picker-wheel', deployment_id: 'deploy-123', event: 'app_start', timestamp: '2025-01-15T12:00:00Z', details: { version: '1.0.0', platform: 'win-x64' } },
  { scenario: 'picker-wheel', deployment_id: 'deploy-123', event: 'ready', timestamp: '2025-01-15T12:00:05Z', details: { startup_ms: 5000 } },
];

/** Send a body with node:http: chunked (no Content-Length) unless `length` is given; resolves with the answer. */
function rawPost(url: string, path: string, chunks: Buffer[], headers: Record<string, string | number>): Promise<{ status: number; body: any; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), sent }));
    });
    req.on('error', reject);
    const write = (i: number): void => {
      if (i >= chunks.length) {
        req.end();
        return;
      }
      sent += chunks[i]!.length;
      if (req.write(chunks[i]!)) setImmediate(() => write(i + 1));
      else req.once('drain', () => write(i + 1));
    };
    write(0);
  });
}

describe('POST /api/v1/telemetry/upload', () => {
  it('stores a JSON array and answers with the exact shape, lines in the file before the answer', async () => {
    const c = await collector();
    const res = await upload(c, EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    // Read right after the answer: no flush wait.
    const lines = readJsonl(join(c.dir, 'picker-wheel.jsonl'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ ts: '2025-01-15T12:00:00.000Z', scenario: 'picker-wheel', deployment_id: 'deploy-123', event: 'app_start', details: { version: '1.0.0', platform: 'win-x64' } });
    expect(Object.keys(lines[0]!)).toEqual(['ts', 'scenario', 'deployment_id', 'event', 'details', 'id']);
    expect(lines[1]).toMatchObject({ ts: '2025-01-15T12:00:05.000Z', event: 'ready', details: { startup_ms: 5000 } });
  });

  it('accepts NDJSON (application/x-ndjson and application/jsonl), skipping blank lines', async () => {
    const c = await collector();
    const body = '{"scenario":"picker-wheel","event":"app_start","timestamp":"2025-01-15T12:00:00Z"}\r\n\n{"scenario":"picker-wheel","event":"ready","timestamp":"2025-01-15T12:00:05Z"}';
    const a = await upload(c, body, { headers: { 'content-type': 'application/x-ndjson' } });
    expect(a.body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    const b = await upload(c, '{"scenario":"picker-wheel","event":"third"}\n', { headers: { 'content-type': 'application/jsonl; charset=utf-8' } });
    expect(b.body).toEqual({ status: 'accepted', events_received: 1, events_stored: 1 });
    expect(readJsonl(join(c.dir, 'picker-wheel.jsonl')).map((l) => l.event)).toEqual(['app_start', 'ready', 'third']);
  });

  it('fills in a missing timestamp with the server time', async () => {
    const c = await collector();
    const before = Date.now();
    await upload(c, [{ scenario: 's1', event: 'no_time' }]);
    const after = Date.now();
    const [line] = readJsonl(join(c.dir, 's1.jsonl'));
    const ts = Date.parse(line!.ts as string);
    expect(ts).toBeGreaterThanOrEqual(before - 1);
    expect(ts).toBeLessThanOrEqual(after + 1);
  });

  it('accepts the wrapper form and ?scenario=, wrapper fields filling in what events lack', async () => {
    const c = await collector();
    const res = await upload(c, { events: [{ event: 'app_start' }, { event: 'own', scenario: 'other', details: { source: 'mine' } }], scenario_name: 'wrapped', deployment_mode: 'desktop', source: 'bundle' });
    expect(res.body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    expect(readJsonl(join(c.dir, 'wrapped.jsonl'))[0]).toMatchObject({ event: 'app_start', details: { deployment_mode: 'desktop', source: 'bundle' } });
    expect(readJsonl(join(c.dir, 'other.jsonl'))[0]).toMatchObject({ event: 'own', details: { deployment_mode: 'desktop', source: 'mine' } });
    const q = await upload(c, [{ event: 'from_query' }, { event: 'explicit', scenario: 'kept' }], { query: 'scenario=queried' });
    expect(q.body.events_stored).toBe(2);
    expect(readJsonl(join(c.dir, 'queried.jsonl')).map((l) => l.event)).toEqual(['from_query']);
    expect(readJsonl(join(c.dir, 'kept.jsonl')).map((l) => l.event)).toEqual(['explicit']);
  });

  it('keeps unknown fields in details and accepts stored lines (ts, level, id) as uploaded events', async () => {
    const c = await collector();
    const res = await upload(c, [{ scenario: 's', event: 'e', extra: 1, details: { a: 2, extra: 'details win' } }, { ts: '2025-01-15T12:00:00.000Z', scenario: 's', event: 'w', level: 'warn', id: 'id-1' }]);
    expect(res.body.events_stored).toBe(2);
    const lines = readJsonl(join(c.dir, 's.jsonl'));
    expect(lines[0]!.details).toEqual({ extra: 'details win', a: 2 });
    expect(lines[1]).toEqual({ ts: '2025-01-15T12:00:00.000Z', scenario: 's', event: 'w', level: 'warn', id: 'id-1' });
  });

  it('keeps a stored line\'s installation_id top-level, byte for byte (the uploader re-sends lines); refuses an invalid one naming it', async () => {
    const c = await collector();
    const stored = [
      '{"ts":"2025-01-15T12:00:00.000Z","scenario":"inst","deployment_id":"d","installation_id":"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3","event":"app_start","details":{"a":1},"id":"id-1"}',
      '{"ts":"2025-01-15T12:00:01.000Z","scenario":"inst","event":"old_line","id":"id-2"}',
    ];
    const res = await upload(c, stored.join('\n') + '\n', { headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    expect(readFileSync(join(c.dir, 'inst.jsonl'), 'utf8')).toBe(stored.join('\n') + '\n');
    const bad = await upload(c, [{ scenario: 'inst', event: 'e', installation_id: 'no spaces' }, { scenario: 'inst', event: 'e', installation_id: 42 }]);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['installation_id', 'installation_id']);
  });

  it('stores the valid events of a partly invalid upload and lists the others by index', async () => {
    const c = await collector();
    const res = await upload(c, [
      { scenario: 'ok', event: 'good' },
      { scenario: 'ok' },
      { scenario: 'ok', event: 'bad_time', timestamp: 'yesterday' },
      { scenario: 'ok', event: 'good2', details: 'not an object' },
      'not an object',
      { scenario: 'ok', event: 'good3' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('accepted');
    expect(res.body.events_received).toBe(6);
    expect(res.body.events_stored).toBe(2);
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4]);
    expect(res.body.errors[0]).toMatchObject({ index: 1, code: 'OPT_ERR_VALIDATION', field: 'event' });
    expect(res.body.errors[1]).toMatchObject({ index: 2, field: 'timestamp' });
    expect(res.body.errors[1].error).toContain('yesterday');
    expect(readJsonl(join(c.dir, 'ok.jsonl')).map((l) => l.event)).toEqual(['good', 'good3']);
  });

  it('names NDJSON errors by line number', async () => {
    const c = await collector();
    const res = await upload(c, '{"scenario":"n","event":"one"}\n{"scenario":"n",\n\n{"scenario":"n"}\n{"scenario":"n","event":"five"}', { headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.body).toMatchObject({ status: 'accepted', events_received: 4, events_stored: 2 });
    expect(res.body.errors).toEqual([
      expect.objectContaining({ index: 2, code: 'OPT_ERR_PARSE' }),
      expect.objectContaining({ index: 4, code: 'OPT_ERR_VALIDATION', field: 'event' }),
    ]);
    expect(res.body.errors[0].error).toMatch(/line 2/);
  });

  it('answers 400 naming the position for a body that is not JSON, and when nothing is valid', async () => {
    const c = await collector();
    const bad = await upload(c, '[{"event": "x",}]', { headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', code: 'OPT_ERR_PARSE', position: expect.any(Number) });
    expect(bad.body.error).toMatch(/position \d+/);
    const none = await upload(c, [{ scenario: 'x' }, { event: 'y', scenario: '../up' }]);
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ status: 'error', code: 'OPT_ERR_NO_VALID_EVENTS', events_received: 2, events_stored: 0 });
    expect(none.body.errors.map((e: { index: number }) => e.index)).toEqual([0, 1]);
    const empty = await upload(c, []);
    expect(empty.status).toBe(400);
    const ndjson = await upload(c, 'not json\n', { headers: { 'content-type': 'application/x-ndjson' } });
    expect(ndjson.status).toBe(400);
    expect(ndjson.body.errors[0]).toMatchObject({ index: 1, code: 'OPT_ERR_PARSE' });
    const utf8 = await upload(c, Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { headers: { 'content-type': 'application/json' } });
    expect(utf8.status).toBe(400);
    expect(utf8.body.code).toBe('OPT_ERR_ENCODING');
    expect(readdirSync(c.dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('answers 415 for a wrong or missing content type and an unknown content encoding', async () => {
    const c = await collector();
    const text = await upload(c, JSON.stringify(EXAMPLE), { headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ status: 'error', code: 'OPT_ERR_CONTENT_TYPE' });
    expect(text.body.error).toContain('application/x-ndjson');
    const form = await upload(c, 'a=b', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const latin1 = await upload(c, JSON.stringify(EXAMPLE), { headers: { 'content-type': 'application/json; charset=latin1' } });
    expect(latin1.status).toBe(415);
    const br = await upload(c, JSON.stringify(EXAMPLE), { headers: { 'content-type': 'application/json', 'content-encoding': 'br' } });
    expect(br.status).toBe(415);
    expect(br.body.code).toBe('OPT_ERR_CONTENT_ENCODING');
  });

  it('answers 413 for a body over the limit, declared or streamed, and stays up', async () => {
    const c = await collector();
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const declared = await rawPost(c.url, '/api/v1/telemetry/upload', [big], { 'content-type': 'application/json', 'content-length': big.length });
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ status: 'error', code: 'OPT_ERR_BODY_TOO_LARGE' });
    // Chunked, no Content-Length: detected while streaming.
    const chunks = Array.from({ length: 80 }, () => Buffer.alloc(64 * 1024, 0x20));
    const streamed = await rawPost(c.url, '/api/v1/telemetry/upload', chunks, { 'content-type': 'application/json' });
    expect(streamed.status).toBe(413);
    expect(streamed.body.code).toBe('OPT_ERR_BODY_TOO_LARGE');
    const after = await upload(c, EXAMPLE);
    expect(after.body.events_stored).toBe(2);
  });

  it('applies the limit to small limits too, and to the number of events', async () => {
    const c = await collector({ maxBodyBytes: 2048, maxEventsPerRequest: 3 });
    const many = await upload(c, Array.from({ length: 4 }, () => ({ scenario: 's', event: 'e' })));
    expect(many.status).toBe(413);
    expect(many.body.code).toBe('OPT_ERR_TOO_MANY_EVENTS');
    const long = await upload(c, [{ scenario: 's', event: 'e', details: { x: 'y'.repeat(3000) } }]);
    expect(long.status).toBe(413);
  });

  it('accepts gzip bodies and refuses a gzip bomb by its decompressed size', async () => {
    const c = await collector();
    const gz = gzipSync(Buffer.from(JSON.stringify(EXAMPLE)));
    const ok = await upload(c, gz, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(ok.body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    // 64 MiB of spaces compress to ~64 KiB.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await upload(c, bomb, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('OPT_ERR_BODY_TOO_LARGE');
    const broken = await upload(c, Buffer.from('not gzip at all'), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('OPT_ERR_GZIP');
  });

  it('never creates files outside the data dir for path-traversal scenarios', async () => {
    const parent = tmpDir('traversal-');
    const dir = join(parent, 'data');
    const c = await collector({ dir });
    const names = ['../escape', '..', '/etc/passwd', '..\\win', 'a/b', '%2e%2e', 'con', 'NUL.txt', '.hidden', 'x'.repeat(200), 'ok\u0000nul', '~', 'a..b'];
    const res = await upload(c, [...names.map((scenario) => ({ scenario, event: 'evil' })), { scenario: 'safe', event: 'fine' }]);
    expect(res.body.events_stored).toBe(1);
    expect(res.body.errors).toHaveLength(names.length);
    for (const e of res.body.errors) expect(e.code).toBe('OPT_ERR_SCENARIO');
    const q = await upload(c, [{ event: 'evil' }], { query: 'scenario=..%2F..%2Fescape' });
    expect(q.status).toBe(400);
    const w = await upload(c, { events: [{ event: 'evil' }], scenario_name: '../../escape' });
    expect(w.status).toBe(400);
    expect(readdirSync(parent)).toEqual(['data']);
    expect(readdirSync(dir).sort()).toEqual(['collector.lock', 'safe.jsonl', 'store-id']); // the lock and the dir's id are the collector's own
    expect(existsSync(join(dirname(parent), 'escape.jsonl'))).toBe(false);
  });

  it('does not store an event twice when its id was already stored (retries are safe)', async () => {
    const c = await collector();
    const events = [
      { scenario: 'd', event: 'a', id: 'evt-1' },
      { scenario: 'd', event: 'b', id: 'evt-2' },
    ];
    expect((await upload(c, events)).body).toEqual({ status: 'accepted', events_received: 2, events_stored: 2 });
    const retry = await upload(c, [...events, { scenario: 'd', event: 'c', id: 'evt-3' }, { scenario: 'd', event: 'c', id: 'evt-3' }]);
    expect(retry.body).toEqual({ status: 'accepted', events_received: 4, events_stored: 1, events_duplicate: 3 });
    // The same id in another scenario is another event.
    expect((await upload(c, [{ scenario: 'other', event: 'a', id: 'evt-1' }])).body.events_stored).toBe(1);
    expect(readJsonl(join(c.dir, 'd.jsonl')).map((l) => l.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('refuses __proto__ / constructor keys without polluting any prototype', async () => {
    const c = await collector();
    const body = '[{"scenario":"p","event":"a","details":{"__proto__":{"polluted":true}}},{"scenario":"p","event":"b","__proto__":{"polluted":true}},{"scenario":"p","event":"c","details":{"x":{"constructor":{"prototype":{"polluted":true}}}}},{"scenario":"p","event":"ok"}]';
    const res = await upload(c, body, { headers: { 'content-type': 'application/json' } });
    expect(res.body.events_stored).toBe(1);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['details.__proto__', '__proto__', 'details.x.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(readFileSync(join(c.dir, 'p.jsonl'), 'utf8')).not.toContain('polluted');
  });

  it('enforces the details depth and key limits and the event size limit', async () => {
    const c = await collector({ maxDetailsDepth: 3, maxDetailsKeys: 5, maxEventBytes: 1024 });
    // 10 000 levels: built as text (JSON.stringify itself would overflow the stack).
    const deep = '{"d":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const events = [
      { scenario: 'l', event: 'deep', details: { a: { b: { c: { d: 1 } } } } },
      { scenario: 'l', event: 'keys', details: { a: 1, b: 2, c: [1, 2, 3] } },
      { scenario: 'l', event: 'huge', details: { s: 'x'.repeat(2000) } },
      { scenario: 'l', event: 'very_deep', details: 'DEEP' },
      { scenario: 'l', event: 'fine', details: { a: { b: 1 } } },
    ];
    const body = JSON.stringify(events).replace('"DEEP"', deep);
    const res = await upload(c, body, { headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.body.events_stored).toBe(1);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ index: 0, code: 'OPT_ERR_VALIDATION', field: 'details.a.b.c' }),
      expect.objectContaining({ index: 1, field: 'details.c[2]' }),
      expect.objectContaining({ index: 2, code: 'OPT_ERR_EVENT_TOO_LARGE' }),
      expect.objectContaining({ index: 3, code: 'OPT_ERR_VALIDATION' }),
    ]);
  });

  it('refuses far-future timestamps and a new scenario beyond the scenario limit', async () => {
    const c = await collector({ maxScenarios: 2 });
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const res = await upload(c, [
      { scenario: 'one', event: 'e' },
      { scenario: 'two', event: 'e', timestamp: future },
      { scenario: 'two', event: 'e' },
      { scenario: 'three', event: 'e' },
    ]);
    expect(res.body.events_stored).toBe(2);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ index: 1, field: 'timestamp' }),
      expect.objectContaining({ index: 3, code: 'OPT_ERR_SCENARIO_LIMIT' }),
    ]);
  });

  it('drops crash events outside production and says so per event', async () => {
    const c = await collector({ environment: 'development' });
    const res = await upload(c, [{ scenario: 'c', event: 'crash', details: { message: 'boom' } }, { scenario: 'c', event: 'app_start' }]);
    expect(res.body).toMatchObject({ status: 'accepted', events_received: 2, events_stored: 1 });
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 0, code: 'OPT_ERR_NOT_RECORDED' })]);
    expect(readJsonl(join(c.dir, 'c.jsonl')).map((l) => l.event)).toEqual(['app_start']);
  });
});
