import fc from 'fast-check';
import { SAFE_SCENARIOS } from './arbitraries.js';

/** fast-check arbitraries for OTLP `ExportLogsServiceRequest`s: hostile ones (any shape at any level) and valid ones. */

const RESERVED = ['product_telemetry.scenario', 'product_telemetry.event.id', 'product_telemetry.app.id', 'telemetry.scenario', 'telemetry.event.id', 'deployment.id', 'event.name', 'service.name', 'app.id'];
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ...RESERVED), fc.string({ maxLength: 8 }));
const garbage = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ toString: 1, valueOf: 1 }), fc.constant([[[[]]]]));
const nanos = fc.oneof(
  fc.integer({ min: 1, max: Date.UTC(2026, 0, 1) }).map((ms) => `${ms}000000`),
  fc.stringMatching(/^\d{1,25}$/),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
  garbage,
);

const { any: hostileAnyValue, kv: hostileKv } = fc.letrec<{ any: unknown; kv: unknown }>((tie) => ({
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.oneof(fc.string({ maxLength: 12 }), garbage) }),
    fc.record({ boolValue: fc.oneof(fc.boolean(), fc.string({ maxLength: 4 })) }),
    fc.record({ intValue: fc.oneof(fc.integer(), fc.stringMatching(/^-?\d{1,22}$/), fc.string({ maxLength: 4 }), fc.double()) }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.string({ maxLength: 4 })) }),
    fc.record({ arrayValue: fc.oneof(fc.record({ values: fc.array(tie('any'), { maxLength: 4 }) }), garbage) }),
    fc.record({ kvlistValue: fc.oneof(fc.record({ values: fc.array(tie('kv'), { maxLength: 4 }) }), garbage) }),
    fc.record({ bytesValue: fc.oneof(fc.base64String({ maxLength: 12 }), garbage) }),
    garbage,
  ),
  kv: fc.oneof({ weight: 6, arbitrary: fc.record({ key, value: tie('any') }) }, { weight: 1, arbitrary: garbage }),
}));

/** Reserved attributes with plausible or hostile values (so records are sometimes valid). */
const reservedKv = fc.record({
  key: fc.constantFrom(...RESERVED),
  value: fc.oneof(
    fc.record({ stringValue: fc.oneof(fc.constantFrom(...SAFE_SCENARIOS, '../x', 'con', '', 'a/b', '@acme/shop'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,10}$/)) }),
    hostileAnyValue,
  ),
});
const attributes = fc.oneof({ weight: 6, arbitrary: fc.array(fc.oneof(hostileKv, reservedKv), { maxLength: 5 }) }, { weight: 1, arbitrary: garbage });

const hostileRecord = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        eventName: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constant(''), fc.string({ minLength: 257, maxLength: 260 }), garbage),
        event_name: fc.string({ maxLength: 6 }),
        timeUnixNano: nanos,
        observedTimeUnixNano: nanos,
        severityNumber: fc.oneof(fc.integer({ min: -3, max: 30 }), fc.string({ maxLength: 3 }), fc.double()),
        severityText: fc.oneof(fc.string({ maxLength: 6 }), garbage),
        body: hostileAnyValue,
        attributes,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: garbage },
);

const resourceLogs = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        resource: fc.oneof(fc.record({ attributes }), garbage),
        scopeLogs: fc.oneof(fc.array(fc.oneof(fc.record({ logRecords: fc.oneof(fc.array(hostileRecord, { maxLength: 4 }), garbage) }, { requiredKeys: [] }), garbage), { maxLength: 3 }), garbage),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: garbage },
);

/** Any request shape a client could send as OTLP/JSON (camelCase; the test also sends it snake_cased). */
export const hostileLogsRequest: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ resourceLogs: fc.oneof(fc.array(resourceLogs, { maxLength: 3 }), garbage) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: garbage },
);

/** camelCase OTLP/JSON keys → snake_case (both are accepted by OTLP/JSON decoders). */
export function snakeCased(json: string): string {
  return json.replace(/"(resourceLogs|scopeLogs|logRecords|timeUnixNano|observedTimeUnixNano|severityNumber|severityText|eventName|stringValue|boolValue|intValue|doubleValue|arrayValue|kvlistValue|bytesValue)":/g, (_m, k: string) => `"${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}":`);
}

// ---- valid records, and the event each must become ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', ...RESERVED]);
const validKey = fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' }).filter((k) => !FORBIDDEN.has(k));
/** JSON values that protobuf carries exactly: valid Unicode strings, safe integers or finite doubles, no -0. */
const { value: validJson } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 16, unit: 'grapheme' }),
    fc.boolean(),
    fc.constant(null),
    fc.maxSafeInteger().map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(validKey, tie('value'), { maxKeys: 4 }),
  ),
}));

/** A JSON value as an OTLP AnyValue (integers as intValue, other numbers as doubleValue, null as an empty AnyValue). */
export function toAnyValue(v: Json): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
  return { kvlistValue: { values: Object.entries(v).map(([k, x]) => ({ key: k, value: toAnyValue(x) })) } };
}

export interface ValidOtlpRecord {
  event: string;
  scenario: string;
  idSuffix: string;
  ms: number;
  deploymentId: string | null;
  severity: number | null;
  body: Record<string, Json> | null;
  attributes: Record<string, Json>;
}

export const validOtlpRecord: fc.Arbitrary<ValidOtlpRecord> = fc.record({
  event: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.length <= 256),
  scenario: fc.constantFrom(...SAFE_SCENARIOS),
  idSuffix: fc.stringMatching(/^[A-Za-z0-9._:-]{0,20}$/),
  ms: fc.integer({ min: 1, max: Date.UTC(2026, 0, 1) }),
  deploymentId: fc.option(fc.string({ maxLength: 30, unit: 'grapheme' })),
  severity: fc.option(fc.integer({ min: 1, max: 24 })),
  body: fc.option(fc.dictionary(validKey, validJson, { minKeys: 1, maxKeys: 5 })),
  attributes: fc.dictionary(validKey, validJson, { maxKeys: 4 }),
});
