import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../hostile/rawHttp.js';
import { collector, request, upload } from '../server/setup.js';
import { exactNumberLiteral, hostHeader, originFor, routeSegment, SEED, spelledCase, subnormalLiteral } from './arbitraries.js';

/**
 * Properties of issue 15's new classes against ONE real collector per property (127.0.0.1, port 0, no token): exact
 * numbers in upload bodies, the Host / Origin checks (raw sockets: headers sent verbatim), route words vs scenario
 * names, scenario case folding. Fixed seed (FUZZ_SEED overrides), bounded runs; the expectations are written from the
 * README, not from the collector's helpers.
 */

// ---------------------------------------------------------------------------------------------------------------
// Independent statements

/** A decimal literal's exact value as sign-free digits × 10^exp (canonical), or 'zero'. Not the collector's code. */
function exactDecimal(text: string): { neg: boolean; digits: string; exp: number } | 'zero' {
  const m = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) throw new Error(`not a decimal literal: ${text}`);
  let digits = m[2]! + (m[3] ?? '');
  let exp = Number(m[4] ?? '0') - (m[3]?.length ?? 0);
  digits = digits.replace(/^0+/, '');
  if (digits === '') return 'zero';
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  return { neg: m[1] === '-', digits: trimmed, exp };
}

function sameExactValue(a: string, b: string): boolean {
  const x = exactDecimal(a);
  const y = exactDecimal(b);
  if (x === 'zero' || y === 'zero') return x === y;
  return x.neg === y.neg && x.digits === y.digits && x.exp === y.exp;
}

/**
 * README: without a token only `localhost`, `127.0.0.1`, `[::1]` (any port, host name in any case) are served. The
 * collector also serves the other loopback addresses written as IPv4 literals (127.0.0.0/8) and IPv4-mapped
 * (`[::ffff:127.x.y.z]`): IP literals, never a rebinding name, so not a hole; accepted here as loopback names too
 * (a difference from the README's list, reported). Other spellings of ::1 (`[0:0:0:0:0:0:0:1]`) may be refused.
 */
function servedHost(host: string): boolean {
  const h = host.trim(); // optional whitespace around a header value is not part of it
  const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
  const v4loop = `127\\.${octet}\\.${octet}\\.${octet}`;
  return new RegExp(`^(localhost|${v4loop}|\\[::1\\]|\\[::ffff:${v4loop}\\])(:\\d{1,5})?$`, 'i').test(h);
}

function readLines(file: string): Record<string, any>[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** The body of a raw answer, de-chunked when it came with `Transfer-Encoding: chunked` (the events stream does). */
function bodyText(r: { headers: Record<string, string>; bytes: Buffer; text: string }): string {
  if (!/chunked/i.test(r.headers['transfer-encoding'] ?? '')) return r.text;
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = r.bytes.indexOf('\r\n', at);
    if (eol === -1) throw new Error('truncated chunked body');
    const size = parseInt(r.bytes.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) break;
    out.push(r.bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out).toString('utf8');
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe(`collector under fast-check, issue 15 classes (seed ${SEED})`, () => {
  /**
   * Runs one number literal through the upload route; returns why the property fails, or undefined. `strict`: the
   * stored value must print back to the literal's exact value (nothing silently changed).
   */
  async function numberCase(c: Awaited<ReturnType<typeof collector>>, lit: string, where: 'flat' | 'nested', fillers: boolean, id: string): Promise<string | undefined> {
    const details = where === 'flat' ? `{"n":${lit},"s":"x"}` : `{"a":[1,{"b":${lit}}]}`;
    const field = where === 'flat' ? 'details.n' : 'details.a[1].b';
    const target = `{"scenario":"num","event":"target","id":"${id}","details":${details}}`;
    const filler = (k: number): string => `{"scenario":"num","event":"filler","id":"${id}-f${k}","details":{"k":${k}}}`;
    const text = fillers ? `[${filler(0)},${target},${filler(1)}]` : `[${target}]`;
    const targetIndex = fillers ? 1 : 0;
    const r = await upload(c, text, { headers: { 'content-type': 'application/json' } });
    const lines = new Map(readLines(join(c.dir, 'num.jsonl')).filter((l) => String(l.id).startsWith(id)).map((l) => [l.id as string, l]));
    if (fillers && (!lines.has(`${id}-f0`) || !lines.has(`${id}-f1`))) return `other events of the batch not stored (status ${r.status} ${r.text.slice(0, 300)})`;
    const stored = lines.get(id);
    if (stored !== undefined) {
      if (r.status !== 200 || (r.body.errors ?? []).length !== 0) return `stored but answered ${r.status} ${r.text.slice(0, 300)}`;
      const value: unknown = where === 'flat' ? stored.details?.n : stored.details?.a?.[1]?.b;
      if (typeof value !== 'number') return `stored value is ${JSON.stringify(value)}, not a number`;
      if (value !== (JSON.parse(lit) as number)) return `stored ${String(value)} ≠ JSON.parse(${lit}) = ${String(JSON.parse(lit))}`;
      if (!sameExactValue(String(value), lit)) return `silently changed: literal ${lit} stored as ${String(value)}`;
      return undefined;
    }
    const errors: any[] = r.body?.errors ?? [];
    const e = errors.find((x) => x.index === targetIndex);
    if (fillers ? r.status !== 200 : r.status !== 400 || r.body?.code !== 'OPT_ERR_NO_VALID_EVENTS') return `refused with ${r.status} ${r.text.slice(0, 300)}`;
    if (e === undefined || e.code !== 'OPT_ERR_VALIDATION' || e.field !== field) return `refused without OPT_ERR_VALIDATION naming ${field}: ${r.text.slice(0, 300)}`;
    return undefined;
  }

  it('exact numbers: a literal in details is stored exactly as written or its event is refused naming the field; the others are stored (200 batches)', async () => {
    const c = await collector();
    let n = 0;
    let stored = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(exactNumberLiteral, fc.constantFrom('flat' as const, 'nested' as const), fc.boolean(), async (lit, where, fillers) => {
        const id = `x${++n}`;
        const why = await numberCase(c, lit, where, fillers, id);
        if (why !== undefined) throw new Error(why);
        if (readLines(join(c.dir, 'num.jsonl')).some((l) => l.id === id)) stored++;
        else refused++;
      }),
      { numRuns: 200, seed: SEED },
    );
    expect(stored).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(30);
  });

  // Found by this property: a subnormal literal with several significant digits was stored silently changed
  // (`1.000001e-318` stored as `1e-318`, 200 and no error); collector/ingest/numbers.ts now refuses it.
  it('exact numbers, subnormal range: stored exactly or refused naming the field', async () => {
    const c = await collector();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(subnormalLiteral, async (lit) => {
        const why = await numberCase(c, lit, 'flat', true, `s${++n}`);
        if (why !== undefined) throw new Error(why);
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('Host and Origin without a token: served iff Host is a loopback name; a foreign Origin is refused on reads and on POST /telemetry/configuration, which then never changes consent.json (300 requests)', async () => {
    const c = await collector();
    const port = Number(new URL(c.url).port);
    const consentFile = join(c.dir, 'consent.json');
    const reads = ['/api/v1/telemetry', '/telemetry/data', '/telemetry/configuration', '/api/v1/telemetry/app/events', '/api/v1/telemetry/app'];
    const seen = { served: 0, host: 0, origin: 0 };
    await fc.assert(
      fc.asyncProperty(
        hostHeader(port),
        fc.oneof(fc.constant({ kind: 'none' as const }), fc.constant({ kind: 'own' as const }), fc.record({ kind: fc.constant('foreign' as const), pick: fc.nat() })),
        fc.oneof(fc.constantFrom(...reads).map((path) => ({ method: 'GET', path })), fc.boolean().map((on) => ({ method: 'POST', path: '/telemetry/configuration', on }))),
        fc.boolean(),
        async (host, originKind, target, upper) => {
          const origin = originFor(host, originKind, port, upper);
          const body = target.method === 'POST' ? Buffer.from(JSON.stringify({ enableTelemetry: (target as { on: boolean }).on })) : undefined;
          const head = [
            `${target.method} ${target.path} HTTP/1.1`,
            `Host: ${host}`,
            ...(origin !== undefined ? [`Origin: ${origin}`] : []),
            ...(body !== undefined ? ['Content-Type: application/json', `Content-Length: ${body.length}`] : []),
            'Connection: close',
          ].join('\r\n');
          const before = readOrNull(consentFile);
          const r = await rawRequest(port, { head, body: body ? [body] : [], timeoutMs: 3000 });
          const after = readOrNull(consentFile);
          const label = `${target.method} ${target.path} Host ${JSON.stringify(host)} Origin ${JSON.stringify(origin)} → ${r.status} ${r.text.slice(0, 200)}`;
          if (r.status === 0) throw new Error(`no answer: ${label}`);
          const hostOk = servedHost(host);
          if (!hostOk) {
            // Node's own parser may refuse a Host it cannot read (400); either way nothing is served.
            if (r.status !== 421 && r.status !== 400) throw new Error(`served a non-loopback Host: ${label}`);
            if (r.status === 400 && (r.body as { code?: string } | undefined)?.code !== undefined) throw new Error(`a route answered a non-loopback Host: ${label}`);
            seen.host++;
          } else if (originKind.kind === 'foreign') {
            if (r.status !== 403) throw new Error(`foreign Origin not refused: ${label}`);
            seen.origin++;
          } else {
            const okStatus = target.method === 'POST' ? [204] : [200, 404];
            if (!okStatus.includes(r.status)) throw new Error(`loopback Host, own or no Origin not served: ${label}`);
            seen.served++;
          }
          if (r.status !== 204 && after !== before) throw new Error(`consent.json changed by a refused request: ${label}`);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
    expect(seen.served).toBeGreaterThan(25);
    expect(seen.host).toBeGreaterThan(25);
    expect(seen.origin).toBeGreaterThan(25);
  });

  it('route words vs scenarios: GET /api/v1/telemetry/{segment}[/events] is 405/400 for a reserved word in any encoding, 200/404 for other names (300 requests)', async () => {
    const c = await collector();
    // Scenarios named like route words are ordinary scenarios for storing; only the reads at those places are reserved.
    const seeded = ['upload', 'events', 'app', 'Shop', 'telemetry'];
    const r0 = await upload(c, seeded.map((scenario, i) => ({ scenario, event: 'seed', id: `seed-${i}` })));
    expect(r0.status).toBe(200);
    const storedNames = new Set(readdirSync(c.dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)));
    await fc.assert(
      fc.asyncProperty(routeSegment, fc.boolean(), async ({ raw, decoded, reserved }, events) => {
        const path = `/api/v1/telemetry/${raw}${events ? '/events' : ''}`;
        const r = await rawRequest(Number(new URL(c.url).port), { head: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`, timeoutMs: 3000 });
        const label = `GET ${path} → ${r.status} ${r.text.slice(0, 200)}`;
        if (reserved) {
          if (r.status !== 405 && r.status !== 400) throw new Error(`reserved route word answered: ${label}`);
          return;
        }
        if (r.status !== 200 && r.status !== 404) throw new Error(`safe name not answered 200/404: ${label}`);
        if (storedNames.has(decoded) && r.status !== 200) throw new Error(`stored scenario ${decoded} not answered: ${label}`);
        if (r.status === 200 && !events) {
          const s = (r.body as { scenario?: unknown } | undefined)?.scenario;
          if (typeof s !== 'string' || s.toLowerCase() !== decoded.toLowerCase()) throw new Error(`200 is not ${decoded}'s summary: ${label}`);
        }
        if (r.status === 200 && events) {
          for (const l of bodyText(r).split('\n').filter((x) => x.length > 0)) {
            const line = JSON.parse(l) as { scenario?: string };
            if (line.scenario?.toLowerCase() !== decoded.toLowerCase()) throw new Error(`events of another scenario: ${label}`);
          }
        }
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('scenario case folding: one file per case-folded name, every id stored exactly once across spellings, read under the stored spelling (50 runs of 1-3 batches)', async () => {
    const c = await collector();
    let run = 0;
    const event = fc.record({ base: fc.nat({ max: 1 }), mask: fc.nat(), idk: fc.nat({ max: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(event, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }), async (batches) => {
        run++;
        const bases = [`Shop${run}x`, `svc.Case-${run}`];
        const firstSpelling = new Map<number, string>();
        const firstScenarioOfId = new Map<string, string>();
        for (const batch of batches) {
          const events = batch.map((e) => {
            const scenario = spelledCase(bases[e.base]!, e.mask);
            const id = `r${run}b${e.base}-k${e.idk}`;
            if (!firstSpelling.has(e.base)) firstSpelling.set(e.base, scenario);
            if (!firstScenarioOfId.has(id)) firstScenarioOfId.set(id, scenario);
            return { scenario, event: 'fold', id };
          });
          const r = await upload(c, events);
          if (r.status !== 200) throw new Error(`upload refused: ${r.status} ${r.text.slice(0, 300)}`);
        }
        const files = readdirSync(c.dir).filter((f) => f.endsWith('.jsonl'));
        for (const [b, base] of bases.entries()) {
          const mine = files.filter((f) => f.slice(0, -'.jsonl'.length).toLowerCase() === base.toLowerCase());
          const ids = [...firstScenarioOfId.keys()].filter((id) => id.startsWith(`r${run}b${b}-`));
          if (ids.length === 0) {
            if (mine.length !== 0) throw new Error(`a file for ${base} without events: ${mine.join(', ')}`);
            continue;
          }
          if (mine.length !== 1) throw new Error(`${mine.length} files for the case-folded name ${base.toLowerCase()}: ${mine.join(', ')}`);
          const spelling = mine[0]!.slice(0, -'.jsonl'.length);
          if (spelling !== firstSpelling.get(b)) throw new Error(`file named ${spelling}, first spelling stored was ${firstSpelling.get(b)}`);
          const r = await request(`${c.url}/api/v1/telemetry/${spelling}/events`);
          if (r.status !== 200) throw new Error(`GET events of ${spelling}: ${r.status} ${r.text.slice(0, 200)}`);
          const lines = r.text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { id: string; scenario: string });
          const counts = new Map<string, number>();
          for (const l of lines) counts.set(l.id, (counts.get(l.id) ?? 0) + 1);
          for (const id of ids) if (counts.get(id) !== 1) throw new Error(`id ${id} stored ${counts.get(id) ?? 0} times under ${spelling}: ${JSON.stringify(lines)}`);
          if (lines.length !== ids.length) throw new Error(`${lines.length} lines for ${ids.length} ids under ${spelling}`);
          for (const l of lines) if (l.scenario !== firstScenarioOfId.get(l.id)) throw new Error(`line ${l.id} has scenario ${l.scenario}, sent first as ${firstScenarioOfId.get(l.id)}`);
        }
      }),
      { numRuns: 50, seed: SEED },
    );
  });
});
