import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { readJsonl } from '../helpers.js';
import { collector, request } from './setup.js';
import { otlpRoot } from '../../collector/index.js';
import type { Collector } from '../../collector/index.js';

const warnings: string[] = [];
const capture: DiagLogger = {
  error: (...a: unknown[]) => warnings.push(a.join(' ')),
  warn: (...a: unknown[]) => warnings.push(a.join(' ')),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

afterEach(() => {
  diag.disable();
  warnings.length = 0;
});

/** Emit a fixed set of records through the real SDK and a real OTLP exporter pointed at the collector. */
async function sendThrough(exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop-api', 'host.name': 'secret-host', 'deployment.id': 'res-dep' }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('shop');
  logger.emit({ eventName: 'checkout', severityNumber: SeverityNumber.INFO, timestamp: Date.UTC(2025, 0, 15, 12, 0, 0), attributes: { 'cart.items': 3 }, body: { amount: 12.5, currency: 'EUR' } });
  logger.emit({ severityNumber: SeverityNumber.WARN, attributes: { 'event.name': 'login', 'product_telemetry.scenario': 'auth-svc', 'product_telemetry.event.id': 'otlp-id-1', 'deployment.id': 'dep-9' }, body: 'user logged in' });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: 'an ordinary app log line' });
  logger.emit({ eventName: 'dependency_unreachable', severityNumber: SeverityNumber.ERROR, body: { service: 'db', nested: { list: [1, 'two', true] } } });
  await provider.forceFlush();
  await provider.shutdown();
}

function checkStored(c: Collector): void {
  const shop = readJsonl(join(c.dir, 'shop-api.jsonl'));
  expect(shop.map((l) => l.event)).toEqual(['checkout', 'dependency_unreachable']);
  expect(shop[0]).toMatchObject({ ts: '2025-01-15T12:00:00.000Z', scenario: 'shop-api', deployment_id: 'res-dep', event: 'checkout', details: { amount: 12.5, currency: 'EUR', 'cart.items': 3 } });
  expect(shop[0]).not.toHaveProperty('level');
  expect(shop[1]).toMatchObject({ level: 'error', details: { service: 'db', nested: { list: [1, 'two', true] } } });
  expect(JSON.stringify(shop)).not.toContain('secret-host');
  const auth = readJsonl(join(c.dir, 'auth-svc.jsonl'));
  expect(auth).toEqual([{ ts: expect.any(String), scenario: 'auth-svc', deployment_id: 'dep-9', event: 'login', level: 'warn', details: { body: 'user logged in' }, id: 'otlp-id-1' }]);
}

describe('POST /v1/logs (OTLP/HTTP bridge)', () => {
  it('stores events sent by the real OTLP/HTTP JSON exporter; app logs are counted, not stored', async () => {
    diag.setLogger(capture, DiagLogLevel.WARN);
    const c = await collector();
    await sendThrough(new OTLPJsonLogExporter({ url: `${c.url}/v1/logs` }));
    checkStored(c);
    expect(c.stats.otlpAppLogs).toBe(1);
    // The app log drew a partial-success warning (0 rejected) that says why it is not stored.
    expect(warnings.join('\n')).toMatch(/Partial Success.*without an event name/);
  });

  it('stores events sent by the real OTLP/HTTP protobuf exporter, gzip-compressed', async () => {
    const c = await collector();
    await sendThrough(new OTLPProtoLogExporter({ url: `${c.url}/v1/logs`, compression: 'gzip' as never }));
    checkStored(c);
    // Retried exports are not stored twice: the id'd record is a duplicate the second time.
    await sendThrough(new OTLPProtoLogExporter({ url: `${c.url}/v1/logs` }));
    expect(readJsonl(join(c.dir, 'auth-svc.jsonl'))).toHaveLength(1);
    expect(readJsonl(join(c.dir, 'shop-api.jsonl'))).toHaveLength(4);
  });

  it('stores app logs as event "log" when configured', async () => {
    const c = await collector({ otlpStoreLogs: true });
    await sendThrough(new OTLPJsonLogExporter({ url: `${c.url}/v1/logs` }));
    const logs = readJsonl(join(c.dir, 'shop-api.jsonl')).filter((l) => l.event === 'log');
    expect(logs).toHaveLength(1);
    expect(logs[0]!.details).toEqual({ body: 'an ordinary app log line' });
  });

  it('answers partial success for invalid records (JSON and protobuf), storing the valid ones', async () => {
    const c = await collector({ environment: 'development' });
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'unknown_service:node' } }] },
          scopeLogs: [
            {
              scope: { name: 'x' },
              logRecords: [
                { timeUnixNano: '1736942400000000000', eventName: 'ok', attributes: [{ key: 'n', value: { intValue: '7' } }] },
                { eventName: 'bad', attributes: [{ key: 'product_telemetry.scenario', value: { stringValue: '../../etc' } }] },
                { eventName: 'crash', severityNumber: 21, body: { stringValue: 'boom' } },
                { eventName: 'evil', attributes: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } }] },
              ],
            },
          ],
        },
      ],
    };
    const json = await request(`${c.url}/v1/logs`, { json: body });
    expect(json.status).toBe(200);
    expect(json.body.partialSuccess.rejectedLogRecords).toBe(3);
    expect(json.body.partialSuccess.errorMessage).toMatch(/3 log record\(s\) rejected/);
    expect(json.body.partialSuccess.errorMessage).toMatch(/TELEMETRY_ENVIRONMENT=production/);
    const stored = readJsonl(join(c.dir, 'default.jsonl'));
    expect(stored).toEqual([{ ts: '2025-01-15T12:00:00.000Z', scenario: 'default', event: 'ok', details: { n: 7 }, id: expect.any(String) }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const Req = otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const Res = otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
    const bytes = Req.encode(Req.fromObject(body)).finish();
    const res = await fetch(`${c.url}/v1/logs`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const decoded = Res.toObject(Res.decode(new Uint8Array(await res.arrayBuffer())), { longs: Number }) as { partialSuccess: { rejectedLogRecords: number } };
    expect(decoded.partialSuccess.rejectedLogRecords).toBe(3);
  });

  it('answers 400 (google.rpc.Status) for undecodable bodies and 415 for other types, in the request encoding', async () => {
    const c = await collector();
    const badProto = await fetch(`${c.url}/v1/logs`, { method: 'POST', body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), headers: { 'content-type': 'application/x-protobuf' } });
    expect(badProto.status).toBe(400);
    const Status = otlpRoot.lookupType('google.rpc.Status');
    const status = Status.toObject(Status.decode(new Uint8Array(await badProto.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^OPT_ERR_PARSE/);
    const badJson = await request(`${c.url}/v1/logs`, { method: 'POST', body: '{"resourceLogs":[', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ code: 3, message: expect.stringMatching(/^OPT_ERR_PARSE/) });
    const text = await request(`${c.url}/v1/logs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe(3);
    const empty = await request(`${c.url}/v1/logs`, { json: {} });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({});
  });
});
