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

// ---------------------------------------------------------------------------------------------------------------
// Issue 15 classes (test/fuzz/collector.fuzz.test.ts)

const digitString = (min: number, max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const sign = fc.constantFrom('', '', '-');

/**
 * A JSON number literal as TEXT whose exact value a double either holds (stored exactly) or plainly cannot
 * (overflow, non-zero underflow, integers beyond 2^53): huge and tiny exponents, long integer digit strings,
 * negative zero, ordinary numbers. Subnormal literals with several digits are `subnormalLiteral`.
 */
export const exactNumberLiteral: fc.Arbitrary<string> = fc.oneof(
  // Huge exponents (1e400 overflows; 1e308 does not).
  fc.tuple(sign, fc.integer({ min: 1, max: 9 }), fc.option(digitString(1, 6), { nil: undefined }), fc.constantFrom('e', 'E', 'e+', 'E+'), fc.integer({ min: 290, max: 500 })).map(([s, d, f, e, x]) => `${s}${d}${f !== undefined ? `.${f}` : ''}${e}${x}`),
  // Tiny exponents far below the subnormal range (underflow to 0) or in the normal range (≥ 1e-307).
  fc.tuple(sign, fc.integer({ min: 1, max: 9 }), fc.option(digitString(1, 6), { nil: undefined }), fc.constantFrom('e-', 'E-'), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 340, max: 1000 }))).map(([s, d, f, e, x]) => `${s}${d}${f !== undefined ? `.${f}` : ''}${e}${x}`),
  // Long integer digit strings beyond 2^53 (some exact: trailing zeros, powers of two), and around 2^53.
  fc.tuple(sign, fc.integer({ min: 1, max: 9 }), digitString(15, 30)).map(([s, d, rest]) => `${s}${d}${rest}`),
  fc.tuple(sign, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 15, max: 40 })).map(([s, d, zeros]) => `${s}${d}${'0'.repeat(zeros)}`),
  fc.tuple(sign, fc.integer({ min: 53, max: 90 })).map(([s, k]) => `${s}${(2n ** BigInt(k)).toString()}`),
  fc.tuple(sign, fc.integer({ min: -4, max: 4 })).map(([s, k]) => `${s}${(2n ** 53n + BigInt(k)).toString()}`),
  // Integers written with a fraction or an exponent.
  fc.tuple(sign, fc.integer({ min: 1, max: 9 }), digitString(10, 25), fc.constantFrom('.0', '.000', 'e0', 'e1', 'e+3')).map(([s, d, rest, tail]) => `${s}${d}${rest}${tail}`),
  // Negative zero and other zeros (exponents included).
  fc.constantFrom('-0', '0', '-0.0', '0.000', '0e10', '-0e-400', '0E+999', '-0.0e5'),
  // Ordinary numbers: as JavaScript prints a double, and decimals of at most 15 significant digits.
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).filter((d) => Math.abs(d) === 0 || Math.abs(d) > 1e-300).map((d) => String(d)),
  fc.integer().map(String),
  fc.tuple(sign, digitString(1, 8), fc.option(digitString(1, 7), { nil: undefined })).map(([s, i, f]) => `${s}${i.replace(/^0+(?=\d)/, '')}${f !== undefined ? `.${f}` : ''}`),
);

/** Subnormal literals (below 2.2e-308, above 0) with several significant digits: a double keeps only some of them. */
export const subnormalLiteral: fc.Arbitrary<string> = fc
  .tuple(sign, fc.integer({ min: 1, max: 9 }), digitString(2, 8), fc.integer({ min: 309, max: 323 }))
  .map(([s, d, f, x]) => `${s}${d}.${f}e-${x}`);

/** `base` with its letters' case flipped by the bits of `mask`. */
export function spelledCase(base: string, mask: number): string {
  let bit = 0;
  return [...base].map((ch) => (/[a-z]/i.test(ch) ? ((mask >>> bit++ % 31) & 1 ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch) : ch)).join('');
}

/** A Host header value: loopback forms with ports and case variations, other names and IPs, IPv6 forms, garbage. */
export function hostHeader(port: number): fc.Arbitrary<string> {
  const somePort = fc.oneof(fc.constant(port), fc.integer({ min: 0, max: 65535 }));
  const withPort = (name: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(name, fc.option(somePort, { nil: undefined })).map(([n, p]) => (p === undefined ? n : `${n}:${p}`));
  const localhostCased = fc.nat().map((m) => spelledCase('localhost', m));
  return fc.oneof(
    { weight: 4, arbitrary: withPort(fc.oneof(localhostCased, fc.constantFrom('127.0.0.1', '[::1]'))) },
    {
      weight: 4,
      arbitrary: withPort(
        fc.oneof(
          fc.constantFrom('evil.example', 'localhost.evil.example', 'localhost.', '127.0.0.1.nip.io', 'local', 'localhost6', 'xn--localhost', '0.0.0.0', '10.0.0.1', '192.168.1.1', '127.1', '2130706433', '0x7f000001', '[::]', '[::2]', '[0:0:0:0:0:0:0:1]', '[::1%25lo]', 'mylocalhost', 'localhos', 'evil.example.', '1.2.3.4', '127.0.0.2', '127.255.255.254', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'),
          fc.tuple(localhostCased, fc.constantFrom('.evil.example', '.', '-x', '_', '.localdomain')).map(([a, b]) => a + b),
          fc.stringMatching(/^[a-z0-9.-]{1,20}$/).filter((s) => s.toLowerCase() !== 'localhost' && s !== '127.0.0.1'),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('::1', '::1:8080', 'localhost:', 'localhost:abc', 'localhost:123456', 'localhost:-1', '[::1', '::1]', '[::1]x', '[::1]:', 'localhost:80:80', '127.0.0.1:80:80', '', 'local host', 'localhost ,evil.example', 'localhost@evil.example', 'user@localhost', 'localhost/x', 'localhost#x', '*') },
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 24 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(' ', '\t'), fc.constantFrom('localhost', '127.0.0.1', '[::1]', 'evil.example')).map(([w, h]) => `${w}${h}${w}`) },
  );
}

/** An Origin header for `host`: none, the collector's own (`http://` + Host, case varied), or a foreign one. */
export function originFor(host: string, o: { kind: 'none' } | { kind: 'own' } | { kind: 'foreign'; pick: number }, port: number, upper: boolean): string | undefined {
  if (o.kind === 'none') return undefined;
  const h = host.trim();
  if (o.kind === 'own') return `http://${upper ? h.toUpperCase() : h}`;
  const name = h.replace(/:\d+$/, '');
  const foreign = [
    'null',
    'http://evil.example',
    `http://${name}.evil.example`,
    `http://${h}.evil.example`,
    `http://${h}@evil.example`,
    `http://${name}:${port === 65535 ? 1 : port + 1}` === `http://${h}` ? 'http://evil.example:1' : `http://${name}:${port === 65535 ? 1 : port + 1}`,
    'https://evil.example',
    'file://',
    `ftp://${h}`,
    'garbage',
    'http://localhost.evil.example',
    `http://127.0.0.2:${port}`,
  ];
  return foreign[o.pick % foreign.length];
}

const RESERVED_AT_SCENARIO = 'upload';

/** Percent-encode the characters of `s` chosen by `mask` (hex in either case). */
function percentEncode(s: string, mask: number, lowerHex: boolean): string {
  return [...s].map((ch, i) => ((mask >>> i) & 1 ? `%${ch.charCodeAt(0).toString(16).padStart(2, '0')[lowerHex ? 'toLowerCase' : 'toUpperCase']()}` : ch)).join('');
}

/**
 * A path segment at `/api/v1/telemetry/{segment}`: the route word `upload` (as is or percent-encoded in part or
 * whole: reserved), its case variants, other route words and safe scenario names, possibly percent-encoded.
 */
export const routeSegment: fc.Arbitrary<{ raw: string; decoded: string; reserved: boolean }> = fc.oneof(
  fc.tuple(fc.nat(), fc.boolean()).map(([mask, lower]) => ({ raw: percentEncode(RESERVED_AT_SCENARIO, mask % 64, lower), decoded: RESERVED_AT_SCENARIO, reserved: true })),
  fc.tuple(fc.integer({ min: 1, max: 63 }), fc.nat(), fc.boolean()).map(([caseMask, encMask, lower]) => {
    const name = spelledCase(RESERVED_AT_SCENARIO, caseMask);
    return { raw: percentEncode(name, encMask % 64, lower), decoded: name, reserved: false };
  }),
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...SAFE_SCENARIOS, 'events', 'Events', 'telemetry', 'api', 'v1', 'healthz', 'readyz', 'metrics', 'data', 'configuration', 'crash', 'appcd', 'logs', 'traces', 'insights', 'uploads', 'upload-x', 'x.upload', 'Shop', 'shop', 'SHOP'),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/).filter((s) => s.toLowerCase() !== RESERVED_AT_SCENARIO && !/^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i.test(s)),
      ),
      fc.nat(),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([name, mask, lower, encode]) => ({ raw: encode ? percentEncode(name, mask, lower) : name, decoded: name, reserved: name === RESERVED_AT_SCENARIO })),
);
