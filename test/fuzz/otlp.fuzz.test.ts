import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../core/errors.js';
import { levelOf } from '../../core/line.js';
import { parseJson } from '../../collector/ingest/parse.js';
import { mapLogsRequest, type OtlpMapOptions, type OtlpMapResult } from '../../collector/otlp/mapLogs.js';
import { ExportLogsServiceRequest } from '../../collector/otlp/protobuf.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { tmpDir } from '../helpers.js';
import { SEED } from './arbitraries.js';
import { eventViolations } from './contract.js';
import { hostileLogsRequest, snakeCased, toAnyValue, validOtlpRecord, type ValidOtlpRecord } from './otlpArbitraries.js';

/**
 * Property-based fuzzing of the OTLP logs mapping (otlp/mapLogs.ts) on requests decoded from JSON (camelCase and
 * snake_case) and from protobuf: what POST /v1/logs runs. Fixed seed (FUZZ_SEED overrides), printed on failure.
 */

const NOW = Date.UTC(2026, 0, 1);
const LIMITS = { maxDepth: 4, maxKeys: 40, maxClockSkewMs: 86_400_000 };
const ALLOWED_CODES = new Set(['OPT_ERR_TOO_MANY_EVENTS', 'OPT_ERR_VALIDATION']);

function options(storeAppLogs: boolean, limits = LIMITS): OtlpMapOptions {
  return { defaultScenario: 'default', limits, now: NOW, storeAppLogs, maxRecords: 12 };
}

/** Map, allowing only the route's coded errors out; check every produced event and the record accounting. */
function mapChecked(request: unknown, storeAppLogs: boolean): OtlpMapResult | undefined {
  let out: OtlpMapResult;
  try {
    out = mapLogsRequest(request, options(storeAppLogs));
  } catch (err) {
    if (!(err instanceof TelemetryError) || !ALLOWED_CODES.has(err.code)) throw new Error(`unexpected error: ${String((err as Error)?.stack ?? err)}`);
    return undefined;
  }
  for (const e of out.events) {
    const v = eventViolations(e, NOW, LIMITS);
    if (v.length > 0) throw new Error(`mapped an event that breaks the contract: ${v.join('; ')}\n${JSON.stringify(e).slice(0, 400)}`);
  }
  const unstored = storeAppLogs ? 0 : out.appLogs;
  if (out.events.length + out.rejected + unstored !== out.records) throw new Error(`records ${out.records} ≠ events ${out.events.length} + rejected ${out.rejected} + app logs ${unstored}`);
  if (out.reasons.length > 5) throw new Error('more than 5 reasons');
  return out;
}

describe(`OTLP logs mapping under fast-check (seed ${SEED})`, () => {
  it('hostile requests (JSON camelCase and snake_case, as objects and as text): coded errors only, contract kept, every record accounted for (3000 runs)', () => {
    let events = 0;
    let rejected = 0;
    fc.assert(
      fc.property(hostileLogsRequest, fc.boolean(), fc.boolean(), (request, storeAppLogs, snake) => {
        const text = JSON.stringify(request) ?? 'null';
        const parsed = parseJson(snake ? snakeCased(text) : text);
        for (const r of [request, parsed]) {
          const out = mapChecked(r, storeAppLogs);
          events += out?.events.length ?? 0;
          rejected += out?.rejected ?? 0;
        }
        if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype polluted');
      }),
      { numRuns: 3000, seed: SEED },
    );
    // Both outcomes are reached.
    expect(events).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(200);
  });

  it('protobuf: hostile requests encoded, valid requests with flipped bytes, random bytes: decode errors or coded errors only (3000 runs)', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          hostileLogsRequest.map((r) => ({ request: r, flip: null as null | [number, number] })),
          fc.tuple(validOtlpRecord, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([r, pos, xor]) => ({ request: requestOf([r], ['x']), flip: [pos, xor] as [number, number] })),
        ),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        ({ request, flip }, random, storeAppLogs) => {
          const inputs: Uint8Array[] = [random];
          try {
            const bytes = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(request as Record<string, unknown>)).finish();
            if (flip !== null && bytes.length > 0) {
              const at = flip[0] % bytes.length;
              bytes[at] = bytes[at]! ^ flip[1];
            }
            inputs.push(bytes);
          } catch {
            // A shape protobufjs cannot encode is a client-side problem; the random bytes still go through.
          }
          for (const bytes of inputs) {
            let message: unknown;
            try {
              message = ExportLogsServiceRequest.decode(bytes);
            } catch {
              continue; // the route answers 400 OPT_ERR_PARSE for this
            }
            decoded++;
            mapChecked(message, storeAppLogs);
          }
        },
      ),
      { numRuns: 3000, seed: SEED },
    );
    expect(decoded).toBeGreaterThan(1000);
  });

  describe('round trip: valid records → JSON and protobuf → the same events → stored lines with the same fields', () => {
    const dir = tmpDir('fuzz-otlp-');
    const store = new JsonlStore({ dir, dedupWindow: 1_000_000, maxScenarios: 100 });
    afterAll(() => store.close());
    let counter = 0;

    it('holds for 1500 requests', async () => {
      await store.open();
      const limits = { maxDepth: 16, maxKeys: 1000, maxClockSkewMs: 86_400_000 };
      fc.assert(
        fc.property(fc.array(validOtlpRecord, { minLength: 1, maxLength: 4 }), (records) => {
          const ids = records.map((r) => `o${String(++counter).padStart(7, '0')}${r.idSuffix}`.slice(0, 128));
          const request = requestOf(records, ids);
          const want = records.map((r, i) => expectedEvent(r, ids[i]!));
          const fromJson = mapLogsRequest(parseJson(JSON.stringify(request)), { ...options(false, limits), maxRecords: 100 });
          const fromProto = mapLogsRequest(ExportLogsServiceRequest.decode(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(request)).finish()), { ...options(false, limits), maxRecords: 100 });
          expect(fromJson).toMatchObject({ records: records.length, rejected: 0, appLogs: 0 });
          expect(fromJson.events).toEqual(want);
          expect(fromProto.events).toEqual(want);
          const result = store.appendSync(fromJson.events);
          expect(result.stored).toBe(records.length);
        }),
        { numRuns: 1500, seed: SEED },
      );
      // Every stored line carries exactly the fields its record had.
      await store.flush();
      const lines = new Map<string, Record<string, unknown>>();
      for (const name of ['app', 'shop-api', 'a', 'Z9', 'svc.v2', 'x_y', 'deploy-2024.11', 'picker-wheel']) {
        let text = '';
        try {
          text = readFileSync(join(dir, `${name}.jsonl`), 'utf8');
        } catch {
          continue;
        }
        for (const l of text.split('\n')) if (l) lines.set((JSON.parse(l) as { id: string }).id, JSON.parse(l) as Record<string, unknown>);
      }
      expect(lines.size).toBe(expectedLines.size);
      for (const [id, line] of expectedLines) expect(lines.get(id)).toEqual(line);
    });
  });
});

/** The stored line each valid record must become, by id (filled by expectedEvent). */
const expectedLines = new Map<string, Record<string, unknown>>();

function requestOf(records: ValidOtlpRecord[], ids: string[]): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ignored-because-product_telemetry.scenario-wins' } }, { key: 'host.name', value: { stringValue: 'never-stored' } }] },
        scopeLogs: [
          {
            logRecords: records.map((r, i) => ({
              timeUnixNano: `${r.ms}000000`,
              eventName: r.event,
              ...(r.severity !== null && { severityNumber: r.severity }),
              ...(r.body !== null && { body: toAnyValue(r.body) }),
              attributes: [
                { key: 'product_telemetry.scenario', value: { stringValue: r.scenario } },
                { key: 'product_telemetry.event.id', value: { stringValue: ids[i] } },
                ...(r.deploymentId !== null ? [{ key: 'deployment.id', value: { stringValue: r.deploymentId } }] : []),
                ...Object.entries(r.attributes).map(([key, v]) => ({ key, value: toAnyValue(v) })),
              ],
            })),
          },
        ],
      },
    ],
  };
}

/** The event the README's mapping rules give for a valid record (details: body map, then attributes the body lacks). */
function expectedEvent(r: ValidOtlpRecord, id: string): StoreEvent {
  const e: StoreEvent = { scenario: r.scenario, event: r.event, timestamp: r.ms, id };
  if (r.deploymentId !== null) e.deploymentId = r.deploymentId;
  if (r.severity !== null) e.severityNumber = r.severity;
  let details: Record<string, unknown> | undefined = r.body !== null ? { ...r.body } : undefined;
  for (const [k, v] of Object.entries(r.attributes)) {
    details ??= {};
    if (!Object.hasOwn(details, k)) details[k] = v;
  }
  if (details !== undefined) e.details = details;
  const line: Record<string, unknown> = { ts: new Date(r.ms).toISOString(), scenario: r.scenario };
  if (r.deploymentId !== null) line.deployment_id = r.deploymentId;
  line.event = r.event;
  const level = levelOf(r.severity ?? undefined);
  if (level !== undefined) line.level = level;
  if (details !== undefined && Object.keys(details).length > 0) line.details = JSON.parse(JSON.stringify(details));
  line.id = id;
  expectedLines.set(id, line);
  return e;
}
