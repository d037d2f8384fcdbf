/**
 * The ClickHouse LogRecordExporter with the real OTel SDK and a real ClickHouse server: the rows it writes are the
 * JSONL lines the file exporter writes for the same records (read back through the ClickHouse store), it works as
 * one of productTelemetry()'s extra exporters, and a failing server yields FAILED exports and diag errors, never a
 * throw into the app.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ATTR_DEPLOYMENT_ID, ATTR_SCENARIO, TELEMETRY_SCOPE } from '../../core/record.js';
import { ClickHouseLogExporter } from '../../exporters/clickhouse/ClickHouseLogExporter.js';
import { JsonlFileExporter } from '../../exporters/jsonl/JsonlFileExporter.js';
import { productTelemetry } from '../../pipeline/productTelemetry.js';
import { createTelemetryInstance } from '../../receivers/api/TelemetryInstance.js';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import { readJsonl, tmpDir } from '../helpers.js';
import { clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { collect } from './storeContract.js';

const url = clickhouseUrl('exporter.test.ts');
const database = uniqueDatabase('exporter');
let tables = 0;
afterAll(() => dropDatabase(url, database));
afterEach(() => diag.disable());

async function readBack(table: string, scenario: string): Promise<Record<string, unknown>[]> {
  const store = new ClickHouseStore({ url, database, table, env: {} });
  await store.open();
  try {
    return (await collect(store, { scenario })).map((l) => ({ ...l }));
  } finally {
    await store.close();
  }
}

describe.skipIf(url === undefined)('ClickHouseLogExporter', () => {
  it('writes, from a real LoggerProvider, exactly the lines the JSONL exporter writes for the same records', async () => {
    const table = `sdk_${++tables}`;
    const dir = tmpDir('opt-ch-exp-');
    const exporter = new ClickHouseLogExporter({ url, database, table, env: {} });
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: new JsonlFileExporter({ dir }) }), new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 7, scheduledDelayMillis: 10 })],
    });
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    for (let i = 0; i < 25; i++) {
      logger.emit({
        eventName: i % 5 === 0 ? 'crash' : 'page_view',
        timestamp: Date.UTC(2025, 0, 15, 12) + i * 10,
        severityNumber: i % 5 === 0 ? SeverityNumber.FATAL : SeverityNumber.INFO,
        attributes: { [ATTR_SCENARIO]: 'web', ...(i % 2 === 0 ? { [ATTR_DEPLOYMENT_ID]: 'dep-1' } : {}), 'http.route': '/x' },
        body: i % 3 === 0 ? { page: `/p/${i}`, n: i } : undefined,
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
    const files = readJsonl(join(dir, 'web.jsonl'));
    expect(files).toHaveLength(25);
    const rows = await readBack(table, 'web');
    expect(rows).toEqual(files);
    expect(exporter.exported).toBe(25);
    expect(exporter.failed).toBe(0);
  });

  it('is one of productTelemetry()\'s exporters: telemetry.event() lands in ClickHouse, consent and rules applied', async () => {
    const table = `pipeline_${++tables}`;
    const dir = tmpDir('opt-ch-pipe-');
    const exporter = new ClickHouseLogExporter({ url, database, table, env: {} });
    const pt = productTelemetry({ dir, scenario: 'shop', enabled: true, environment: 'development', env: {}, upload: false, exporters: [exporter] });
    const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
    const t = createTelemetryInstance({ loggerProvider: provider, runtime: { consent: pt.consent, config: pt.config } });
    await t.event({ event: 'checkout', details: { items: 3, password: 'hunter2' } });
    await t.crash({ message: 'not recorded outside production' });
    await provider.forceFlush();
    await provider.shutdown();
    const rows = await readBack(table, 'shop');
    expect(rows.map((r) => r.event)).toEqual(['checkout']);
    expect(JSON.stringify(rows[0]!.details)).toContain('"password":"[REDACTED]"');
    expect(JSON.stringify(rows)).not.toContain('hunter2');
    expect(rows).toEqual(readJsonl(join(dir, 'shop.jsonl')));
  });

  it('reports a failed export and a diag error when ClickHouse cannot be reached; never throws', async () => {
    const errors: string[] = [];
    const logger: DiagLogger = { error: (m: string) => errors.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined };
    diag.setLogger(logger, DiagLogLevel.ERROR);
    // Port 9 (discard) on loopback: nothing listens there.
    const exporter = new ClickHouseLogExporter({ url: 'http://127.0.0.1:9', database, table: 'never', retryDeadlineMs: 200, backoffMs: 10, maxBackoffMs: 20, timeoutMs: 500, env: {} });
    // Exported directly: the SDK's processors would swallow the result this test looks at.
    const record = await realRecord({ eventName: 'x', timestamp: Date.now(), attributes: { [ATTR_SCENARIO]: 'down' } });
    const result = await new Promise<ExportResult>((resolve) => {
      expect(() => exporter.export([record], resolve)).not.toThrow();
    });
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(exporter.failed).toBe(1);
    expect(errors.join('\n')).toMatch(/ClickHouse exporter lost 1 record\(s\).*127\.0\.0\.1:9/);
    await exporter.shutdown();
    const after = await new Promise<ExportResult>((resolve) => exporter.export([record], resolve));
    expect(after.code).toBe(ExportResultCode.FAILED);
  });
});

/** A real SDK log record (what processors hand to exporters), captured from a real emit. */
async function realRecord(record: { eventName: string; timestamp: number; attributes: Record<string, string> }): Promise<ReadableLogRecord> {
  const memory = new InMemoryLogRecordExporter();
  const p = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  p.getLogger(TELEMETRY_SCOPE).emit(record);
  await p.forceFlush();
  const [r] = memory.getFinishedLogRecords();
  await p.shutdown();
  return r!;
}
