import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsentState } from '../../core/consent.js';
import { ConfigError } from '../../core/errors.js';
import { ATTR_EVENT_ID, ATTR_SCENARIO, TELEMETRY_SCOPE } from '../../core/record.js';
import { tmpDir } from '../../test/helpers.js';
import { startTestEndpoint, type TestEndpoint } from '../../test/upload/endpoint.js';
import { spoolNameFor, UploadExporter } from './UploadExporter.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(): Promise<TestEndpoint> {
  const ep = await startTestEndpoint();
  cleanups.push(() => ep.close());
  return ep;
}

function consent(dir: string, enabled: boolean): ConsentState {
  return new ConsentState({ dir, enabled, doNotTrack: false, sdkDisabled: false });
}

describe('UploadExporter: a plain OTel LogRecordExporter', () => {
  it('behind the stock BatchLogRecordProcessor: spools durably, uploads on forceFlush, once', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const exporter = new UploadExporter({ url: ep.url, dir, intervalMs: 3_600_000, consent: consent(dir, true), defaultScenario: 'stock', env: {} });
    const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter })] });
    cleanups.push(() => provider.shutdown());
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    for (let i = 0; i < 25; i++) logger.emit({ eventName: 'clicked', severityNumber: SeverityNumber.INFO, attributes: { [ATTR_EVENT_ID]: `u-${i}` }, body: { n: i } });
    logger.emit({ eventName: 'opened', attributes: { [ATTR_SCENARIO]: 'other', [ATTR_EVENT_ID]: 'o-1' } });
    await provider.forceFlush();
    const ids = ep.acceptedIds();
    expect(ids.filter((id) => id.startsWith('u-'))).toEqual(Array.from({ length: 25 }, (_, i) => `u-${i}`));
    expect(ids).toContain('o-1');
    const first = ep.requests.flatMap((r) => r.events).find((e) => e.id === 'u-0')!;
    expect(first).toMatchObject({ scenario: 'stock', event: 'clicked', details: { n: 0 } });
    // durable first: the spool holds the lines, under a folder named for the endpoint
    expect(exporter.spoolDir).toBe(join(dir, 'upload-spool', spoolNameFor(ep.url)));
    expect(readdirSync(exporter.spoolDir)).toEqual(expect.arrayContaining(['stock.jsonl', 'other.jsonl', 'upload-cursors.json', 'upload-state.json']));
    await provider.forceFlush();
    expect(ep.acceptedIds()).toHaveLength(26);
    expect(exporter.status().sent_events).toBe(26);
  });

  it('through the global Logs API with a SimpleLogRecordProcessor; shutdown is idempotent and never rejects', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const exporter = new UploadExporter({ url: ep.url, dir, consent: consent(dir, true), defaultScenario: 'simple', env: {} });
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    logs.setGlobalLoggerProvider(provider);
    cleanups.push(() => logs.disable());
    logs.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'hello', attributes: { [ATTR_EVENT_ID]: 'g-1' } });
    await provider.shutdown();
    await exporter.shutdown();
    expect(ep.acceptedIds()).toEqual(['g-1']);
  });

  it('keeps nothing and sends nothing while consent is off', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const exporter = new UploadExporter({ url: ep.url, dir, consent: consent(dir, false), defaultScenario: 'off', env: {} });
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'hello' });
    await provider.forceFlush();
    await provider.shutdown();
    expect(ep.requests).toHaveLength(0);
    expect(existsSync(join(exporter.spoolDir, 'off.jsonl'))).toBe(false);
  });

  it('without an endpoint it refuses to start, naming where the URL comes from', () => {
    expect(() => new UploadExporter({ dir: tmpDir(), env: {} })).toThrow(ConfigError);
    expect(() => new UploadExporter({ dir: tmpDir(), env: {} })).toThrow(/TELEMETRY_UPLOAD_URL/);
  });
});
