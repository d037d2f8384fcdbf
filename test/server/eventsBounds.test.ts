import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tmpDir } from '../helpers.js';
import { CliProcess, stopAll } from '../cli/cliProcess.js';
import { collector, request, upload } from './setup.js';

// Issue 15 ("hold under attack"): the events route is bounded by construction — parameter maxima, memory that grows
// with the lines kept, counted and timed follow streams, and store files that are not regular files refused unread.

const line = (i: number, event = 'tick'): string => JSON.stringify({ ts: new Date(Date.UTC(2025, 0, 15, 12, 0, i)).toISOString(), scenario: 's', event, id: `e${i}` }) + '\n';
const tenLines = Array.from({ length: 10 }, (_, i) => line(i)).join('');
const SECRET = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"x","event":"outside-secret","id":"o1"}\n';

// A reader blocked in open() on a FIFO (the old code) holds a libuv pool thread until a writer opens it: release
// them after each test so one failure does not hang the rest of the file.
const fifos: string[] = [];
afterEach(async () => {
  for (const f of fifos.splice(0)) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting (ENXIO): nothing to release
    }
  }
  await stopAll();
});

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
}

function dirWith(files: Record<string, string>): string {
  const dir = tmpDir('opt-bounds-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('events route: parameter maxima', () => {
  it('answers 400 with the coded body naming the parameter for every value beyond its documented maximum', async () => {
    const c = await collector({ dir: dirWith({ 's.jsonl': tenLines }) });
    const cases: [string, string][] = [
      ['tail=999999999999999', 'tail'],
      ['tail=40000000', 'tail'],
      ['tail=100001', 'tail'],
      ['tail=99999999999999999999999', 'tail'],
      ['limit=100000001', 'limit'],
      ['limit=1e3', 'limit'],
      [`search=${'x'.repeat(1025)}`, 'search'],
      [Array.from({ length: 101 }, (_, i) => `event=e${i}`).join('&'), 'event'],
      [`event=${Array.from({ length: 101 }, (_, i) => `e${i}`).join(',')}`, 'event'],
      [`event=${'e'.repeat(257)}`, 'event'],
      [`since=${'1'.repeat(65)}h`, 'since'],
    ];
    for (const [q, field] of cases) {
      const t0 = performance.now();
      const r = await request(`${c.url}/api/v1/telemetry/s/events?${q}`, { signal: AbortSignal.timeout(10_000) });
      expect(r.status, q.slice(0, 60)).toBe(400);
      expect(r.body, q.slice(0, 60)).toMatchObject({ status: 'error', code: 'OPT_ERR_QUERY', field });
      expect(performance.now() - t0, q.slice(0, 60)).toBeLessThan(2000);
    }
    // At the maxima: accepted, and the answer is the file (a tail of 100000 on a 10-line file holds 10 lines).
    for (const q of ['tail=100000', 'limit=100000000', `search=${'t'.repeat(1024)}`, Array.from({ length: 100 }, (_, i) => `event=${i === 0 ? 'tick' : `e${i}`}`).join('&')]) {
      const r = await request(`${c.url}/api/v1/telemetry/s/events?${q}`, { signal: AbortSignal.timeout(10_000) });
      expect(r.status, q.slice(0, 60)).toBe(200);
    }
    expect((await request(`${c.url}/api/v1/telemetry/s/events?tail=100000`)).text).toBe(tenLines);
  });

  it('a child collector asked for tail=40000000 and tail=100000 on a 10-line file answers fast and its RSS stays flat', { timeout: 120_000 }, async () => {
    const dir = dirWith({ 's.jsonl': tenLines });
    const serve = new CliProcess(['serve', '--port', '0', '--dir', dir]);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const rssKb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serve.child.pid}/status`, 'utf8'))![1]);
    // Warm up the route (module loading, first-request allocations) before the baseline.
    expect((await request(`${url}/api/v1/telemetry/s/events?tail=5`)).status).toBe(200);
    const before = rssKb();
    for (const [q, status] of [['tail=40000000', 400], ['tail=999999999999999', 400], ['tail=100000', 200]] as const) {
      const t0 = performance.now();
      const r = await request(`${url}/api/v1/telemetry/s/events?${q}`, { signal: AbortSignal.timeout(20_000) });
      expect(r.status, q).toBe(status);
      expect(performance.now() - t0, q).toBeLessThan(1000);
    }
    const grownMiB = (rssKb() - before) / 1024;
    // The old ring allocated its capacity: tail=40000000 took 25 s and ~3 GB.
    expect(grownMiB).toBeLessThan(32);
    expect((await serve.stop('SIGTERM')).code).toBe(0);
  });
});

describe('events route: follow streams', () => {
  it('caps open follow streams at TELEMETRY_MAX_FOLLOW_STREAMS (429 + Retry-After beyond) and counts a closed one down', async () => {
    const c = await collector({ dir: dirWith({ 's.jsonl': tenLines }), maxFollowStreams: 2 });
    const open: AbortController[] = [];
    const follow = async (): Promise<Response> => {
      const ac = new AbortController();
      open.push(ac);
      return fetch(`${c.url}/api/v1/telemetry/s/events?follow=true&tail=1`, { signal: ac.signal });
    };
    try {
      for (let i = 0; i < 2; i++) {
        const r = await follow();
        expect(r.status).toBe(200);
        expect(Buffer.from((await r.body!.getReader().read()).value!).toString()).toBe(line(9));
      }
      const refused = await follow();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ status: 'error', code: 'OPT_ERR_TOO_MANY_FOLLOWS', field: 'follow' });
      // Plain reads are not counted.
      expect((await request(`${c.url}/api/v1/telemetry/s/events?tail=1`)).text).toBe(line(9));
      // A client that goes away frees its place.
      open[0]!.abort();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const r = await follow();
        status = r.status;
        if (status !== 200) await r.body?.cancel();
      }
      expect(status).toBe(200);
    } finally {
      for (const ac of open) ac.abort();
    }
  });

  it('ends a follow stream cleanly after TELEMETRY_FOLLOW_MAX_MS', async () => {
    const c = await collector({ dir: dirWith({ 's.jsonl': tenLines }), followMaxMs: 1000 });
    const t0 = performance.now();
    const r = await fetch(`${c.url}/api/v1/telemetry/s/events?follow=true&tail=2`, { signal: AbortSignal.timeout(15_000) });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(line(8) + line(9));
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(5000);
  });

  it('a follow on a scenario with no file is a 404 like a plain read, not an idle watcher', async () => {
    const c = await collector({ dir: dirWith({}) });
    const r = await request(`${c.url}/api/v1/telemetry/nothing-here/events?follow=true`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: 'OPT_ERR_NOT_FOUND', field: 'scenario' });
  });

  it('300 idle follow streams cost a child collector little CPU (idle checks back off to once a second)', { timeout: 120_000 }, async () => {
    const dir = dirWith({ 's.jsonl': tenLines });
    const serve = new CliProcess(['serve', '--port', '0', '--dir', dir], { TELEMETRY_MAX_FOLLOW_STREAMS: '1000' });
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const cpuMs = (): number => {
      const f = readFileSync(`/proc/${serve.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
    };
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const ac = new AbortController();
        streams.push(ac);
        const r = await fetch(`${url}/api/v1/telemetry/s/events?follow=true&tail=1`, { signal: ac.signal });
        expect(r.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 3000));
      const before = cpuMs();
      await new Promise((r) => setTimeout(r, 4000));
      const share = (cpuMs() - before) / 4000;
      console.log(`300 idle follow streams: child collector CPU ${(share * 100).toFixed(1)}%`);
      expect(share).toBeLessThan(0.08);
    } finally {
      for (const ac of streams) ac.abort();
      await serve.stop('SIGTERM');
    }
  });
});

describe('events route: store files that are not regular files', () => {
  it('refuses a symlink planted as {scenario}.jsonl or as a segment (403, coded body naming the scenario), never serving its target', async () => {
    const parent = tmpDir('opt-bounds-link-');
    const dir = join(parent, 'data');
    mkdirSync(dir);
    writeFileSync(join(parent, 'outside.jsonl'), SECRET);
    symlinkSync(join(parent, 'outside.jsonl'), join(dir, 'x.jsonl'));
    writeFileSync(join(dir, 'y.jsonl'), line(1));
    symlinkSync(join(parent, 'outside.jsonl'), join(dir, 'y.jsonl.1700000000000'));
    const c = await collector({ dir });
    for (const q of ['x/events', 'x/events?follow=true', 'x/events?tail=5', 'y/events']) {
      const r = await request(`${c.url}/api/v1/telemetry/${q}`, { signal: AbortSignal.timeout(5000) });
      expect(r.status, q).toBe(403);
      expect(r.body, q).toMatchObject({ status: 'error', code: 'OPT_ERR_NOT_REGULAR_FILE', field: 'scenario' });
      expect(r.body.error, q).toContain(`"${q.split('/')[0]}"`);
      expect(r.text, q).not.toContain('outside-secret');
    }
  });

  it('refuses FIFOs at once: six concurrent reads do not exhaust the thread pool, gzip uploads and reads still work', async () => {
    const dir = dirWith({ 'ok.jsonl': line(1) });
    mkfifo(join(dir, 'f.jsonl'));
    writeFileSync(join(dir, 'g.jsonl'), line(2));
    mkfifo(join(dir, 'g.jsonl.1700000000000'));
    const c = await collector({ dir });
    const t0 = performance.now();
    const answers = await Promise.all(
      ['f/events', 'f/events?follow=true', 'f/events?tail=3', 'g/events', 'f/events', 'g/events?follow=true'].map((q) =>
        request(`${c.url}/api/v1/telemetry/${q}`, { signal: AbortSignal.timeout(5000) }),
      ),
    );
    for (const r of answers) {
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'OPT_ERR_NOT_REGULAR_FILE', field: 'scenario' });
      expect(r.body.error).toContain('not a regular file');
    }
    expect(performance.now() - t0).toBeLessThan(3000);
    const gz = gzipSync(Buffer.from(JSON.stringify([{ scenario: 'ok', event: 'after-fifo', id: 'a1' }])));
    const up = await upload(c, gz, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, signal: AbortSignal.timeout(5000) });
    expect(up.status).toBe(200);
    const read = await request(`${c.url}/api/v1/telemetry/ok/events`, { signal: AbortSignal.timeout(5000) });
    expect(read.status).toBe(200);
    expect(read.text).toContain('after-fifo');
  });
});
