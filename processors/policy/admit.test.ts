import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber, type AnyValueMap, type LogAttributes } from '../../core/logTypes.js';
import { ATTR_APP_INSTALLATION_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, CRASH_EVENT, TELEMETRY_SCOPE } from '../../core/record.js';
import { admitFields, admitRecord, isDropped, policyRules, type Verdict } from './admit.js';

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
