import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { tmpDir } from '../helpers.js';
import { QUARANTINE_DIR } from '../../exporters/upload/quarantine.js';
import { readUploadState, type UploadState } from '../../exporters/upload/state.js';
import { Uploader, type UploaderOptions } from '../../exporters/upload/Uploader.js';
import { duplicates, range, storedIds } from './collector.js';
import { accept, startTestEndpoint, storeLines, waitFor, type Answer, type ReceivedRequest, type TestEndpoint } from './endpoint.js';

/**
 * "Delivered means the collector said so": only an answer of the documented shape (JSON with `status: accepted`,
 * `events_received` equal to what was sent and counts that add up) acknowledges a batch. Anything else a 2xx may
 * carry — a captive portal's HTML page, an empty 204, JSON of another shape, counts for another batch — is a failed
 * attempt: nothing moves, nothing is compacted away, and the batch is sent again once a real collector answers.
 */

const TOKEN = 'answer-test-token-4242';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const warnings: string[] = [];
const logger: DiagLogger = {
  error: (m) => warnings.push(`error ${m}`),
  warn: (m) => warnings.push(`warn ${m}`),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

async function endpoint(behaviour: (req: ReceivedRequest, i: number) => Answer): Promise<TestEndpoint> {
  const ep = await startTestEndpoint(behaviour);
  cleanups.push(() => ep.close());
  return ep;
}

function uploader(dir: string, url: string, options: Partial<UploaderOptions> = {}): Uploader {
  // A small store cap and no grace: compaction deletes a segment as soon as its cursor says it was delivered.
  const u = new Uploader({ dir, url, token: TOKEN, gzip: false, intervalMs: 3_600_000, initialDelayMs: 3_600_000, backoffMs: 20, maxBackoffMs: 100, timeoutMs: 2000, storeMaxBytes: 64 * 1024, segmentGraceMs: 0, ...options });
  cleanups.push(() => u.shutdown());
  return u.start();
}

function quarantinedLines(dir: string): string[] {
  const q = join(dir, QUARANTINE_DIR);
  if (!existsSync(q)) return [];
  return readdirSync(q)
    .filter((n) => n.endsWith('.jsonl'))
    .flatMap((n) => readFileSync(join(q, n), 'utf8').split('\n').filter((l) => l.length > 0));
}

function expectNoNegative(s: UploadState | undefined): void {
  expect(s).toBeDefined();
  for (const [k, v] of Object.entries(s!)) if (typeof v === 'number') expect({ [k]: v }).toEqual({ [k]: Math.max(0, v) });
}

const CAPTIVE_PORTAL = `<!DOCTYPE html>\n<html><head><title>Hotel WiFi — sign in</title></head>\n<body><form action="/login">Room number <input name="room"> ${TOKEN}</form>${'<p>terms</p>'.repeat(400)}</body></html>`;

const bogus: [string, (req: ReceivedRequest) => Answer, RegExp][] = [
  ['a captive portal: 200 text/html', () => ({ status: 200, text: CAPTIVE_PORTAL, headers: { 'content-type': 'text/html; charset=utf-8' } }), /text\/html/],
  ['204 No Content', () => ({ status: 204 }), /no body|empty/i],
  ['200 JSON of another shape', () => ({ status: 200, body: { ok: true, message: 'thanks' } }), /status/],
  ['200 JSON that is not JSON', () => ({ status: 200, text: '{"status":"accepted","events_received":' }), /not JSON/i],
  ['200 with counts for another batch', (req) => ({ status: 200, body: { status: 'accepted', events_received: req.events.length - 1, events_stored: req.events.length - 1 } }), /events_received/],
  ['200 whose counts do not add up', (req) => ({ status: 200, body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length - 3 } }), /add up|events_stored/],
];

describe('upload answers: delivered means the collector said so', () => {
  for (const [name, answer, said] of bogus) {
    it(`${name}: nothing is acknowledged or compacted away; delivered once a real collector answers`, async () => {
      let real = false;
      const delivered: string[] = [];
      const ep = await endpoint((req) => {
        if (!real) return answer(req);
        for (const e of req.events) delivered.push(String(e.id));
        return accept(req, 0);
      });
      const dir = tmpDir();
      // Sealed segments (the store rotated them long ago): compaction deletes them once their cursor is at the end.
      writeFileSync(join(dir, 's.jsonl.1000'), storeLines('s', 0, 40, 'a', 2000));
      writeFileSync(join(dir, 's.jsonl.2000'), storeLines('s', 40, 40, 'a', 2000));
      const all = range('a', 80);
      warnings.length = 0;
      diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
      cleanups.push(() => diag.disable());
      const u = uploader(dir, ep.url, { batchSize: 25 });

      for (let round = 0; round < 3; round++) {
        await u.runOnce();
        await new Promise((r) => setTimeout(r, 120)); // past the backoff: the next run sends again
      }
      expect(ep.requests.length).toBeGreaterThanOrEqual(2); // retried, not given up
      // Not one event was taken as delivered: the store still holds them all, nothing was set aside.
      expect(storedIds(dir).sort()).toEqual([...all].sort());
      expect(quarantinedLines(dir)).toEqual([]);
      const s = u.status();
      expect(s.sent_events).toBe(0);
      expect(s.sent_batches).toBe(0);
      expect(s.pending_bytes).toBeGreaterThan(0);
      expect(s.consecutive_failures).toBeGreaterThanOrEqual(1);
      expect(s.last_success_at).toBeNull();
      expect(s.last_error).toMatch(said);
      expectNoNegative(s);
      // The diag warning says what was wrong, briefly, with no secret and no page dump.
      const w = warnings.filter((m) => m.includes(ep.url.replace('http://', '')));
      expect(w.length).toBeGreaterThanOrEqual(1);
      expect(w[0]).toMatch(said);
      for (const m of warnings) {
        expect(m).not.toContain(TOKEN);
        expect(m.length).toBeLessThan(700);
        expect(m).not.toContain('<p>terms</p><p>terms</p><p>terms</p>');
      }

      real = true;
      expect(
        await waitFor(async () => {
          await u.runOnce();
          return u.status().pending_bytes === 0;
        }, 10_000),
      ).toBe(true);
      expect(delivered.sort()).toEqual([...all].sort());
      expect(duplicates(delivered)).toEqual([]);
      expect(u.status().sent_events).toBe(80);
      expect(u.status().consecutive_failures).toBe(0);
      expectNoNegative(readUploadState(dir));
    });
  }

  for (const format of ['json', 'ndjson'] as const) {
    it(`an answer listing one error index 50 times (and indexes out of range) sets aside that one event once (${format})`, async () => {
      const ep = await endpoint((req) => {
        const n = req.events.length;
        const one = format === 'json' ? 2 : 3; // the third event: array index 2, NDJSON line 3
        const errors = [...Array.from({ length: 50 }, () => ({ index: one, code: 'OPT_ERR_VALIDATION', error: 'event: required' })), { index: -1, error: 'x' }, { index: n + 7, error: 'x' }, { index: 1.5, error: 'x' }, { index: '0', error: 'x' }];
        return { status: 200, body: { status: 'accepted', events_received: n, events_stored: n - 1, errors } };
      });
      const dir = tmpDir();
      writeFileSync(join(dir, 's.jsonl.1000'), storeLines('s', 0, 5, 'q'));
      const u = uploader(dir, ep.url, { format });
      await u.runOnce();
      const q = quarantinedLines(dir);
      expect(q).toHaveLength(1);
      expect((JSON.parse(q[0]!) as { id: string }).id).toBe('q-2');
      const s = u.status();
      expect(s.quarantined_events).toBe(1);
      expect(s.sent_events).toBe(4);
      expect(s.sent_batches).toBe(1);
      expectNoNegative(s);
      expectNoNegative(readUploadState(dir));
    });
  }
});
