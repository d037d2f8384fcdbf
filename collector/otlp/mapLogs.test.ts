import { describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { mapLogsRequest } from './mapLogs.js';
import { ExportLogsServiceRequest } from './protobuf.js';

const OPTIONS = { defaultScenario: 'dflt', limits: { maxDepth: 8, maxKeys: 100, maxClockSkewMs: 60_000 }, now: Date.UTC(2025, 0, 15, 12), storeAppLogs: false, maxRecords: 100 };

const request = {
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: '@acme/shop' } }] },
      scopeLogs: [
        {
          logRecords: [
            {
              timeUnixNano: '1736942400123456789',
              severityNumber: SeverityNumber.WARN,
              eventName: 'paid',
              body: { kvlistValue: { values: [{ key: 'amount', value: { doubleValue: 9.5 } }, { key: 'raw', value: { bytesValue: 'AQID' } }] } },
              attributes: [
                { key: 'count', value: { intValue: '42' } },
                { key: 'ok', value: { boolValue: true } },
                { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
                { key: 'amount', value: { stringValue: 'body wins' } },
              ],
            },
            { observed_time_unix_nano: '1736942399000000000', event_name: 'snake' },
          ],
        },
      ],
    },
  ],
};

describe('mapLogsRequest', () => {
  it('maps OTLP/JSON records (camelCase and snake_case) to events', () => {
    const out = mapLogsRequest(request, OPTIONS);
    expect(out).toMatchObject({ records: 2, rejected: 0, appLogs: 0 });
    expect(out.events[0]).toEqual({
      scenario: 'acme-shop',
      event: 'paid',
      timestamp: 1736942400123,
      severityNumber: SeverityNumber.WARN,
      details: { amount: 9.5, raw: 'AQID', count: 42, ok: true, tags: ['a', 1] },
    });
    expect(out.events[1]).toEqual({ scenario: 'acme-shop', event: 'snake', timestamp: 1736942399000 });
  });

  it('maps the same request decoded from protobuf identically (bytes become base64, int64 numbers)', () => {
    const pb = ExportLogsServiceRequest.fromObject({
      resourceLogs: [
        {
          resource: request.resourceLogs[0]!.resource,
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1736942400123456789',
                  severityNumber: SeverityNumber.WARN,
                  eventName: 'paid',
                  body: { kvlistValue: { values: [{ key: 'amount', value: { doubleValue: 9.5 } }, { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 3]) } }] } },
                  attributes: request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes,
                },
              ],
            },
          ],
        },
      ],
    });
    const decoded = ExportLogsServiceRequest.decode(ExportLogsServiceRequest.encode(pb).finish());
    expect(mapLogsRequest(decoded, OPTIONS).events[0]).toEqual(mapLogsRequest(request, OPTIONS).events[0]);
  });

  it('takes installation_id from the resource\'s app.installation.id (a record\'s own wins); an invalid one refuses the record naming it', () => {
    const inst = '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3';
    const req = (value: unknown, recordAttrs: unknown[] = []) => ({
      resourceLogs: [{ resource: { attributes: [{ key: 'app.installation.id', value }] }, scopeLogs: [{ logRecords: [{ eventName: 'e', attributes: recordAttrs }] }] }],
    });
    const ok = mapLogsRequest(req({ stringValue: inst }), OPTIONS);
    expect(ok.events[0]).toMatchObject({ event: 'e', installationId: inst, details: { resource: { 'app.installation.id': inst } } });
    const own = mapLogsRequest(req({ stringValue: inst }, [{ key: 'app.installation.id', value: { stringValue: 'own-1' } }]), OPTIONS);
    expect(own.events[0]!.installationId).toBe('own-1');
    expect(own.events[0]!.details).not.toHaveProperty('app.installation.id');
    for (const bad of [{ stringValue: 'has space' }, { stringValue: '' }, { intValue: '5' }]) {
      const out = mapLogsRequest(req(bad), OPTIONS);
      expect(out).toMatchObject({ rejected: 1, events: [] });
      expect(out.reasons[0]).toMatch(/app\.installation\.id/);
    }
    expect(mapLogsRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'e' }] }] }] }, OPTIONS).events[0]).not.toHaveProperty('installationId');
  });

  it('counts app logs, rejects bad records with reasons, refuses too many records', () => {
    const out = mapLogsRequest(
      {
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { body: { stringValue: 'plain log' } },
                  { eventName: 'x', timeUnixNano: String((OPTIONS.now + 3_600_000) * 1e6) },
                  { eventName: 'y', attributes: [{ key: 'product_telemetry.event.id', value: { stringValue: 'no spaces allowed' } }] },
                  'not a record',
                  { eventName: 'z' },
                ],
              },
            ],
          },
        ],
      },
      OPTIONS,
    );
    expect(out).toMatchObject({ records: 5, appLogs: 1, rejected: 3 });
    expect(out.events).toEqual([{ scenario: 'dflt', event: 'z', timestamp: OPTIONS.now }]);
    expect(out.reasons[0]).toMatch(/future/);
    expect(() => mapLogsRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: new Array(101).fill({}) }] }] }, OPTIONS)).toThrow(expect.objectContaining({ statusCode: 413 }));
    expect(() => mapLogsRequest('nope', OPTIONS)).toThrow(/ExportLogsServiceRequest/);
  });
});
