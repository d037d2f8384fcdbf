import fc from 'fast-check';

/**
 * fast-check arbitraries for the collector's inputs. Hostile ones are built as JSON *text* where keys matter
 * (`__proto__` written in a JS object literal would set the prototype instead of a key; in text it reaches
 * JSON.parse exactly as a client would send it).
 */

/** Seed of every property: fixed so CI runs are reproducible; FUZZ_SEED=<n> explores others. Printed on failure. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

export const SAFE_SCENARIOS = ['app', 'shop-api', 'a', 'Z9', 'svc.v2', 'x_y', 'deploy-2024.11', 'picker-wheel'];

/** Strings a hostile client would try in any string field. */
const nastyStrings = fc.constantFrom(
  '',
  '..',
  '../x',
  '..\\x',
  '/etc/passwd',
  'C:\\Windows',
  '%2e%2e',
  'con',
  'NUL.txt',
  'com1',
  'a..b',
  '.hidden',
  '-dash',
  'ok\u0000nul',
  'x'.repeat(129),
  'x'.repeat(257),
  '\ud800',
  'émoji😀',
  '__proto__',
  'constructor',
  'toString',
  '2024-13-45T99:00:00Z',
  '3000-01-01T00:00:00.000Z',
  '1970-01-01T00:00:00.000Z',
  '2024-02-29T12:00:00.000+02:00',
  'NaN',
  '-1',
  '1e400',
);

/** A JSON value as text, with hostile keys and shapes mixed in. */
export const hostileJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
    nastyStrings.map((s) => JSON.stringify(s)),
    fc.constantFrom('1e300', '-0', '0.1', '9007199254740993', '-1', 'true', 'null', '[]', '{}', `${'['.repeat(200)}${']'.repeat(200)}`, `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'a', 'event', 'details'), fc.string({ maxLength: 6 })), tie('value')), { maxLength: 5 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  ),
})).value;

/** A value for one event field: mostly plausible, often wrong. */
function fieldValue(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: valid.map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: hostileJson });
}

const validTimestamp = fc.oneof(
  fc.integer({ min: 0, max: Date.UTC(2026, 0, 1) }).map((ms) => new Date(ms).toISOString()),
  fc.integer({ min: 0, max: Date.UTC(2026, 0, 1) }),
);

/** One event as JSON text: every known field present or not, valid or hostile, plus extra (possibly forbidden) keys. */
export const hostileEventText: fc.Arbitrary<string> = fc
  .record(
    {
      scenario: fieldValue(fc.constantFrom(...SAFE_SCENARIOS)),
      event: fieldValue(fc.string({ minLength: 1, maxLength: 20 })),
      timestamp: fieldValue(validTimestamp),
      ts: fieldValue(validTimestamp),
      details: fieldValue(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })),
      id: fieldValue(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/)),
      level: fieldValue(fc.constantFrom('trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'WARN', 'verbose')),
      deployment_id: fieldValue(fc.string({ maxLength: 10 })),
      extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'app', 'stack', 'message'), fc.string({ maxLength: 6 })), hostileJson), { maxLength: 3 }),
    },
    { requiredKeys: ['scenario', 'event'] },
  )
  .map((r) => {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(r)) {
      if (k === 'extra') for (const [ek, ev] of v as [string, string][]) parts.push(`${JSON.stringify(ek)}:${ev}`);
      else parts.push(`${JSON.stringify(k)}:${v as string}`);
    }
    return `{${parts.join(',')}}`;
  });

/** An upload body as text: JSON array, wrapper, single event, NDJSON, or arbitrary text; sometimes cut or mutated. */
export const hostileUploadBody: fc.Arbitrary<{ text: string; ndjson: boolean }> = fc
  .tuple(
    fc.oneof(
      fc.array(hostileEventText, { maxLength: 6 }).map((events) => ({ text: `[${events.join(',')}]`, ndjson: false })),
      fc
        .record({ events: fc.array(hostileEventText, { maxLength: 4 }).map((e) => `[${e.join(',')}]`), scenario_name: hostileJson, deployment_id: hostileJson, deployment_mode: hostileJson, source: hostileJson }, { requiredKeys: ['events'] })
        .map((r) => ({ text: `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`, ndjson: false })),
      hostileEventText.map((text) => ({ text, ndjson: false })),
      fc.array(fc.oneof(hostileEventText, hostileJson, fc.string({ maxLength: 30 })), { maxLength: 6 }).map((lines) => ({ text: lines.join('\n'), ndjson: true })),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 60 }), fc.boolean()).map(([text, ndjson]) => ({ text, ndjson })),
      hostileJson.map((text) => ({ text, ndjson: false })),
    ),
    // Damage: cut at a position, or overwrite one character.
    fc.option(fc.tuple(fc.nat(), fc.constantFrom('cut', 'flip'), fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', '\n', '\u0000')), { freq: 4 }),
  )
  .map(([body, damage]) => {
    if (damage === null || body.text.length === 0) return body;
    const [pos, kind, ch] = damage;
    const at = pos % body.text.length;
    return { ...body, text: kind === 'cut' ? body.text.slice(0, at) : body.text.slice(0, at) + ch + body.text.slice(at + 1) };
  });

/** A JSON value for details that is within the documented limits and has no forbidden key. */
export const validDetails: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype'),
  fc.jsonValue({ maxDepth: 4 }),
  { minKeys: 1, maxKeys: 6 },
).filter((d) => countKeys(d) <= 1000 && !hasForbiddenKey(d));

/** A `__proto__` / `constructor` / `prototype` key anywhere (fast-check generates them on purpose). */
export function hasForbiddenKey(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  for (const k of Reflect.ownKeys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
    if (hasForbiddenKey((v as Record<PropertyKey, unknown>)[k])) return true;
  }
  return false;
}

/** Keys and array items at all levels (what TELEMETRY_MAX_DETAILS_KEYS counts). */
export function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  for (const child of Object.values(v)) n += 1 + countKeys(child);
  return n;
}

/** A valid event in the stored-line form the upload exporter sends (ts ISO with ms, level only warn and up). */
export interface LineEvent {
  ts: string;
  scenario: string;
  deployment_id?: string;
  event: string;
  level?: 'warn' | 'error' | 'fatal';
  details?: Record<string, unknown>;
  id: string;
}

export const validLineEvent: fc.Arbitrary<Omit<LineEvent, 'id'> & { idSuffix: string }> = fc.record(
  {
    ts: fc.integer({ min: 0, max: Date.UTC(2026, 0, 1) }).map((ms) => new Date(ms).toISOString()),
    scenario: fc.constantFrom(...SAFE_SCENARIOS),
    deployment_id: fc.string({ maxLength: 40, unit: 'grapheme' }),
    event: fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
    level: fc.constantFrom('warn' as const, 'error' as const, 'fatal' as const),
    details: validDetails,
    idSuffix: fc.stringMatching(/^[A-Za-z0-9._:-]{0,40}$/),
  },
  { requiredKeys: ['ts', 'scenario', 'event', 'idSuffix'] },
);
