import fc from 'fast-check';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestError, ValidationError } from '../../core/errors.js';
import { parseJsonUpload, parseNdjsonUpload, type ParsedUpload } from '../../collector/ingest/parse.js';
import { toStoreEvent, type EventLimits } from '../../collector/ingest/validate.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { tmpDir } from '../helpers.js';
import { hostileUploadBody, SEED, validLineEvent, type LineEvent } from './arbitraries.js';
import { eventViolations } from './contract.js';

/**
 * Property-based fuzzing of the upload parser and validator (events/parse.ts, events/validate.ts): the code the
 * upload route runs on every body. Fixed seed (FUZZ_SEED overrides), printed by fast-check on failure with the
 * shrunk counterexample and its replay path.
 */

const LIMITS: EventLimits = { maxDepth: 16, maxKeys: 1000, maxClockSkewMs: 86_400_000 };
const MAX_EVENTS = 10_000;
const NOW = Date.UTC(2026, 0, 1);
const ALLOWED_CODES = new Set(['OPT_ERR_PARSE', 'OPT_ERR_VALIDATION', 'OPT_ERR_SCENARIO', 'OPT_ERR_TOO_MANY_EVENTS']);

interface Outcome {
  accepted: StoreEvent[];
  refused: number;
}

/** What the upload route does with a body, up to the store: parse, then validate each item. */
function runUpload(text: string, ndjson: boolean): Outcome {
  const base = { scenario: 'default' };
  const parsed: ParsedUpload = ndjson ? parseNdjsonUpload(text, MAX_EVENTS, base) : parseJsonUpload(text, MAX_EVENTS, base);
  const out: Outcome = { accepted: [], refused: parsed.errors.length };
  for (const item of parsed.items) {
    try {
      out.accepted.push(toStoreEvent(item, parsed.defaults, LIMITS, NOW));
    } catch (err) {
      expectCoded(err);
      out.refused++;
    }
  }
  return out;
}

/** Only the collector's coded errors may come out: anything else would be a 500 (or a crash) in the route. */
function expectCoded(err: unknown): void {
  if (!(err instanceof RequestError || err instanceof ValidationError)) throw new Error(`unexpected error type: ${String((err as Error)?.stack ?? err)}`);
  if (!ALLOWED_CODES.has(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`);
  if (err.statusCode !== 400 && err.statusCode !== 413) throw new Error(`unexpected status ${err.statusCode}`);
}

const prototypeKeys = (): string => JSON.stringify([Object.prototype, Array.prototype].map((p) => Object.getOwnPropertyNames(p).sort()));

describe(`upload parser and validator under fast-check (seed ${SEED})`, () => {
  it('never throws anything but a coded 400/413, never accepts an event that breaks the contract, never pollutes a prototype (4000 bodies)', () => {
    const before = prototypeKeys();
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(hostileUploadBody, ({ text, ndjson }) => {
        let outcome: Outcome;
        try {
          outcome = runUpload(text, ndjson);
        } catch (err) {
          expectCoded(err);
          refused++;
          return;
        }
        for (const e of outcome.accepted) {
          const v = eventViolations(e, NOW, LIMITS);
          if (v.length > 0) throw new Error(`accepted an event that breaks the contract: ${v.join('; ')}\n${JSON.stringify(e).slice(0, 500)}`);
        }
        accepted += outcome.accepted.length;
        refused += outcome.refused;
        if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype polluted');
      }),
      { numRuns: 4000, seed: SEED },
    );
    expect(prototypeKeys()).toBe(before);
    // The generator reaches both sides of the validator (a fuzzer that only produces garbage proves little).
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(1000);
  });

  describe('round trip: valid event → upload body → parsed → stored line → the same fields', () => {
    const dir = tmpDir('fuzz-store-');
    const store = new JsonlStore({ dir, dedupWindow: 1_000_000, maxScenarios: 100 });
    afterAll(() => store.close());
    const offsets = new Map<string, number>();
    let counter = 0;

    /** The lines appended to `{scenario}.jsonl` since the last call. */
    function newLines(scenario: string): Record<string, unknown>[] {
      const path = join(dir, `${scenario}.jsonl`);
      const from = offsets.get(scenario) ?? 0;
      const size = statSync(path).size;
      const buf = Buffer.alloc(size - from);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, from);
      } finally {
        closeSync(fd);
      }
      offsets.set(scenario, size);
      return buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    }

    it('holds for 2500 batches in JSON array, wrapper and NDJSON form', async () => {
      await store.open();
      fc.assert(
        fc.property(fc.array(validLineEvent, { minLength: 1, maxLength: 5 }), fc.constantFrom('array', 'wrapper', 'ndjson'), (drafts, form) => {
          const events: LineEvent[] = drafts.map(({ idSuffix, ...rest }) => ({ ...rest, id: `r${String(++counter).padStart(7, '0')}${idSuffix}`.slice(0, 128) }));
          // What a client means is what JSON carries: compare against the JSON image of the events.
          const expected = events.map((e) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>);
          const text = form === 'ndjson' ? events.map((e) => JSON.stringify(e)).join('\n') + '\n' : JSON.stringify(form === 'wrapper' ? { events } : events);
          const { accepted, refused } = runUpload(text, form === 'ndjson');
          if (refused !== 0 || accepted.length !== events.length) throw new Error(`valid events refused: ${refused}`);
          const result = store.appendSync(accepted);
          if (result.stored !== events.length) throw new Error(`stored ${result.stored} of ${events.length}: ${JSON.stringify(result.rejections)}`);
          const byId = new Map<string, Record<string, unknown>>();
          for (const scenario of new Set(events.map((e) => e.scenario))) for (const line of newLines(scenario)) byId.set(line.id as string, line);
          for (const want of expected) expect(byId.get(want.id as string)).toEqual(want);
        }),
        { numRuns: 2500, seed: SEED },
      );
    });
  });
});
