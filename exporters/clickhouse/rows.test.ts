import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { serializeRecord } from '../../core/line.js';
import { ATTR_APP_INSTALLATION_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, TELEMETRY_SCOPE, type TelemetryLine } from '../../core/record.js';
import { encodeRow, lineFromRow, rowFromLine, type StoredRow } from './rows.js';

/** Lines as core/line.ts writes them, from real SDK records. */
async function serialisedLines(): Promise<string[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger(TELEMETRY_SCOPE);
  const t = Date.UTC(2025, 0, 15, 12, 0, 0, 7);
  logger.emit({ eventName: 'a', timestamp: t, attributes: { [ATTR_SCENARIO]: 's', [ATTR_EVENT_ID]: 'id-1' } });
  logger.emit({ eventName: 'b "quoted"\n', timestamp: t + 1, severityNumber: SeverityNumber.ERROR, attributes: { [ATTR_SCENARIO]: 's', [ATTR_DEPLOYMENT_ID]: 'd\u00e9p' }, body: { n: 1, s: 'tab\there', nested: { list: [1, null, 'x'] } } });
  logger.emit({ eventName: 'i', timestamp: t + 3, attributes: { [ATTR_SCENARIO]: 's', [ATTR_DEPLOYMENT_ID]: 'd', [ATTR_APP_INSTALLATION_ID]: '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3' }, body: { a: 1 } });
  logger.emit({ eventName: 'c', timestamp: t + 2, severityNumber: SeverityNumber.WARN, attributes: { [ATTR_SCENARIO]: 's', [ATTR_DEPLOYMENT_ID]: '', 'extra.attr': 5 }, body: {} });
  await provider.forceFlush();
  const lines = memory.getFinishedLogRecords().map((r) => serializeRecord(r, undefined).line.trimEnd());
  await provider.shutdown();
  return lines;
}

/** What ClickHouse sends back for a row: JSONEachRow, 64-bit integers quoted. */
function asStored(row: ReturnType<typeof rowFromLine>): StoredRow {
  const back = JSON.parse(encodeRow(row)) as Record<string, unknown>;
  return { ...(back as unknown as StoredRow), ts_ms: String(back.ts_ms) };
}

describe('rows ↔ JSONL lines', () => {
  it('a serialised line → row → row read back → the same line, byte for byte', async () => {
    const lines = await serialisedLines();
    expect(lines.some((l) => l.includes('"deployment_id":"d","installation_id":"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3","event":"i"'))).toBe(true);
    for (const text of lines) {
      const row = rowFromLine(JSON.parse(text) as TelemetryLine, 1);
      expect(JSON.stringify(lineFromRow(asStored(row)))).toBe(text);
    }
  });

  it('encodes one JSONEachRow line per row, values escaped by JSON (never SQL)', () => {
    const row = rowFromLine({ ts: '2025-01-15T12:00:00.123Z', scenario: 's', event: "x'); DROP TABLE t; --", id: 'i', details: { a: '\n' } }, 42);
    const text = encodeRow(row);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(JSON.parse(text)).toEqual({ scenario: 's', ts_ms: Date.UTC(2025, 0, 15, 12, 0, 0, 123), id: 'i', event: "x'); DROP TABLE t; --", deployment_id: null, installation_id: null, level: '', details: '{"a":"\\n"}', details_keys: ['a'], details_values: ['\n'], details_indexed: 1, seq: 42 });
  });
});
