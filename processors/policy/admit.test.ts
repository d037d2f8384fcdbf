import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber, type AnyValueMap, type LogAttributes } from '../../core/logTypes.js';
import { ATTR_APP_INSTALLATION_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, CRASH_EVENT, TELEMETRY_SCOPE } from '../../core/record.js';
import { detailsIfFits, detailsOfLine } from '../../core/line.js';
import { admitDetails, admitFields, admitRecord, isDropped, policyRules, type Verdict } from './admit.js';

interface Case {
  scenario: string;
  event: string;
  ms: number;
  deploymentId?: string;
  installationId?: string;
  id?: string;
  severityNumber?: SeverityNumber;
  details?: unknown;
}

/** The verdict on a case as a log record (what the stores emitted through a private LoggerProvider before). */
function viaRecord(c: Case, rules = policyRules()): Verdict {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const attributes: LogAttributes = { [ATTR_SCENARIO]: c.scenario };
  if (c.id !== undefined) attributes[ATTR_EVENT_ID] = c.id;
  if (c.deploymentId !== undefined) attributes[ATTR_DEPLOYMENT_ID] = c.deploymentId;
  if (c.installationId !== undefined) attributes[ATTR_APP_INSTALLATION_ID] = c.installationId;
  provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: c.event, timestamp: millisToHrTime(c.ms), severityNumber: c.severityNumber, attributes, body: c.details as AnyValueMap, context: ROOT_CONTEXT });
  return admitRecord(exporter.getFinishedLogRecords()[0]!, rules);
}

function viaFields(c: Case, rules = policyRules()): Verdict {
  return admitFields({ scenario: c.scenario, event: c.event, hrTime: millisToHrTime(c.ms), deploymentId: c.deploymentId, installationId: c.installationId, id: c.id, severityNumber: c.severityNumber, details: c.details }, rules);
}

const T = Date.UTC(2025, 0, 15, 12, 0, 0, 123);
const cases: Case[] = [
  { scenario: 'shop', event: 'app_start', ms: T, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
  { scenario: 'shop', event: 'app_start', ms: T, id: 'client "id"\n\u2028', deploymentId: 'deploy-123', details: { version: '1.0.0', nested: { a: [1, 2, null] } } },
  { scenario: 'Shop_2', event: 'ünïcødé 🎉', ms: 0, id: 'x', severityNumber: SeverityNumber.WARN, details: {} },
  { scenario: 'a', event: 'e', ms: -86_400_000 + 0.5, id: 'y', severityNumber: SeverityNumber.ERROR, details: ['not', 'a', 'map'] },
  { scenario: 'a', event: CRASH_EVENT, ms: T, id: 'z', severityNumber: SeverityNumber.FATAL, details: 'text body' },
  { scenario: 'a', event: 'e', ms: T + 0.999, id: '', deploymentId: '' },
  { scenario: 'a', event: 'e', ms: T, id: 'w', deploymentId: 'd', installationId: '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3', details: { k: 1 } },
  { scenario: 'a', event: 'e', ms: T, id: 'v', installationId: 'inst-1', severityNumber: SeverityNumber.ERROR },
];

describe('admitFields: the same verdict and line, byte for byte, as admitRecord on the record the stores emitted', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const a = viaRecord(c);
    expect(isDropped(a)).toBe(false);
    expect(viaFields(c)).toEqual(a);
  });

  it('writes installation_id right after deployment_id; a record\'s own app.installation.id wins over the pipeline\'s', () => {
    const v = viaFields({ scenario: 's', event: 'e', ms: T, id: 'i', deploymentId: 'd', installationId: 'inst-1', details: { a: 1 } });
    expect((v as { line: string }).line).toBe('{"ts":"2025-01-15T12:00:00.123Z","scenario":"s","deployment_id":"d","installation_id":"inst-1","event":"e","details":{"a":1},"id":"i"}\n');
    const pipeline = policyRules({ installationId: () => 'from-pipeline' });
    expect(JSON.parse((viaRecord({ scenario: 's', event: 'e', ms: T, id: 'i' }, pipeline) as { line: string }).line).installation_id).toBe('from-pipeline');
    const own = (viaRecord({ scenario: 's', event: 'e', ms: T, id: 'i', installationId: 'own' }, pipeline) as { line: string }).line;
    expect(JSON.parse(own)).toEqual({ ts: '2025-01-15T12:00:00.123Z', scenario: 's', installation_id: 'own', event: 'e', id: 'i' });
    expect(JSON.parse((viaRecord({ scenario: 's', event: 'e', ms: T, id: 'i' }) as { line: string }).line).installation_id).toBeUndefined();
  });

  it('assigns a UUIDv7 from the timestamp when there is no id', () => {
    const v = viaFields({ scenario: 's', event: 'e', ms: T });
    expect(isDropped(v)).toBe(false);
    expect(JSON.parse((v as { line: string }).line).id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('drops as the record path does: crash outside production, invalid, too large', () => {
    const dev = policyRules({ environment: 'development', maxEventBytes: 200 });
    const drops: Case[] = [
      { scenario: 's', event: CRASH_EVENT, ms: T, id: 'a' },
      { scenario: '../etc', event: 'e', ms: T, id: 'b' },
      { scenario: 's', event: '', ms: T, id: 'c' },
      { scenario: 's', event: 'e', ms: T, id: 'd', details: { big: 'x'.repeat(300) } },
    ];
    const reasons = drops.map((c) => {
      const f = viaFields(c, dev);
      expect(f).toEqual(viaRecord(c, dev));
      return isDropped(f) ? f.drop : undefined;
    });
    expect(reasons).toEqual(['crash_outside_production', 'invalid', 'invalid', 'too_large']);
  });
});

describe('admitDetails (stores that keep columns): admitFields\' verdict, with the line\'s details text in place of the line', () => {
  /** What admitDetails must answer: admitFields' verdict, the line reduced to its details text. */
  function expected(c: Case, rules: ReturnType<typeof policyRules>): string | Verdict {
    const v = viaFields(c, rules);
    return isDropped(v) ? v : detailsOfLine(v.line);
  }
  function viaDetails(c: Case, rules: ReturnType<typeof policyRules>): string | Verdict {
    return admitDetails({ scenario: c.scenario, event: c.event, hrTime: millisToHrTime(c.ms), deploymentId: c.deploymentId, installationId: c.installationId, id: c.id, severityNumber: c.severityNumber, details: c.details }, rules);
  }

  it('agrees on the fixed cases and on 3,000 random events around the size limit (escapes, non-ASCII, odd times and ids)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = ['a', 'é', '🎉', '"', '\\', '\n', '\u0001', '\ud800', 'x'.repeat(40), '\u2028'];
    const text = (max: number) => {
      let s = '';
      const n = Math.floor(rand() * max);
      for (let i = 0; i < n; i++) s += pick(pieces);
      return s;
    };
    let fast = 0;
    for (const maxEventBytes of [300, 1000, 4000, 256 * 1024]) {
      const rules = policyRules({ environment: pick(['production', 'development']), maxEventBytes });
      for (const c of cases) expect(viaDetails(c, rules)).toEqual(expected(c, rules));
      for (let i = 0; i < 750; i++) {
        const c: Case = {
          scenario: pick(['shop', 'Shop_2', 'a', '../x', '']),
          event: pick(['app_start', CRASH_EVENT, '', text(20)]),
          ms: pick([T, 0, -1, 253402300799999, 253402300800000, T + rand(), Number.NaN, 8.64e15 + 1]),
          id: pick([undefined, 'plain', '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', text(10)]),
          deploymentId: pick([undefined, 'd', text(30)]),
          installationId: pick([undefined, 'inst-1', text(30)]),
          severityNumber: pick([undefined, SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR, SeverityNumber.FATAL]),
          details: pick([undefined, {}, 'text body', [1, 2], { k: text(60) }, { n: 1, b: true, nested: { s: text(200) } }, { big: text(2000) }, { t: { toJSON: () => 'x' } }, { n: 10n }]),
        };
        const rulesNow = rules;
        const want = expected(c, rulesNow);
        expect(viaDetails(c, rulesNow), JSON.stringify({ ...c, details: String(c.details) })).toEqual(want);
        const f = { scenario: c.scenario, event: c.event, hrTime: millisToHrTime(c.ms), deploymentId: c.deploymentId, installationId: c.installationId, id: c.id, details: c.details };
        if (detailsIfFits(f, maxEventBytes) !== undefined) fast++;
      }
    }
    // Lines crossing the limit by multi-byte text (3 UTF-8 bytes per unit: U+2028; 2 per unit: emoji): the bound must
    // count bytes, not units, or it would admit lines over the limit.
    const tight = policyRules({ maxEventBytes: 1000 });
    for (const piece of ['\u2028', '🎉', 'a']) {
      for (let n = 0; n <= 1200; n += 3) {
        const c: Case = { scenario: 'a', event: 'e', ms: T, id: 'i', details: { k: piece.repeat(n) } };
        expect(viaDetails(c, tight), `${n} x ${piece}`).toEqual(expected(c, tight));
      }
    }
    // The fast path is taken (else this compares admitFields with itself): a sixth of these events are ordinary enough for it.
    expect(fast).toBeGreaterThan(100);
  });
});
