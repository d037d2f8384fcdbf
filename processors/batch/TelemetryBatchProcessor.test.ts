import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { TelemetryBatchProcessor } from './TelemetryBatchProcessor.js';
import { JsonlFileExporter } from '../../exporters/jsonl/JsonlFileExporter.js';
import { PolicyProcessor } from '../policy/PolicyProcessor.js';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { tmpDir } from '../../test/helpers.js';

/** An asynchronous exporter that completes each export only when told to (a slow network). */
class GatedExporter implements LogRecordExporter {
  received = 0;
  batches: number[] = [];
  private pending: (() => void)[] = [];
  export(logs: ReadableLogRecord[], cb: (r: ExportResult) => void): void {
    this.batches.push(logs.length);
    this.pending.push(() => {
      this.received += logs.length;
      cb({ code: ExportResultCode.SUCCESS });
    });
  }
  release(): void {
    const p = this.pending;
    this.pending = [];
    p.forEach((f) => f());
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function provider(next: TelemetryBatchProcessor, defaultScenario = 'batch') {
  return new LoggerProvider({ processors: [new PolicyProcessor({ next, defaultScenario })] });
}

describe('TelemetryBatchProcessor', () => {
  it('bounds the queue in front of an asynchronous exporter and counts what it drops', async () => {
    const exporter = new GatedExporter();
    const batch = new TelemetryBatchProcessor({ exporter, maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMillis: 60_000 });
    const logger = provider(batch).getLogger(TELEMETRY_SCOPE);
    for (let i = 0; i < 1000; i++) logger.emit({ eventName: 'burst', body: { i } });
    // One batch of 10 is in flight (taken off the queue); 100 wait; the rest were dropped and counted.
    expect(batch.queued).toBe(100);
    expect(batch.dropped).toBe(1000 - 100 - 10);
    const flushing = batch.forceFlush();
    for (let i = 0; i < 20 && exporter.received < 110; i++) {
      exporter.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushing;
    expect(exporter.received).toBe(110);
    expect(Math.max(...exporter.batches)).toBeLessThanOrEqual(10);
  });

  it('writes a full buffer synchronously to the JSONL file: a tight loop drops nothing', async () => {
    const dir = tmpDir();
    const batch = new TelemetryBatchProcessor({ exporter: new JsonlFileExporter({ dir }), maxQueueSize: 10, maxExportBatchSize: 64 });
    const logger = provider(batch).getLogger(TELEMETRY_SCOPE);
    for (let i = 0; i < 20_000; i++) logger.emit({ eventName: 'tight', body: { i } });
    expect(batch.queued).toBeLessThan(64);
    expect(batch.dropped).toBe(0);
    await batch.forceFlush();
    const lines = readFileSync(join(dir, 'batch.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(JSON.parse(lines[19_999]!).details.i).toBe(19_999);
  });

  it('caps a batch by serialised bytes', async () => {
    const exporter = new GatedExporter();
    const batch = new TelemetryBatchProcessor({ exporter, maxExportBatchSize: 1000, maxBatchBytes: 4096, scheduledDelayMillis: 60_000 });
    const logger = provider(batch).getLogger(TELEMETRY_SCOPE);
    for (let i = 0; i < 20; i++) logger.emit({ eventName: 'big', body: { pad: 'x'.repeat(1000) } });
    const flushing = batch.forceFlush();
    for (let i = 0; i < 50 && exporter.received < 20; i++) {
      exporter.release();
      await new Promise((r) => setImmediate(r));
    }
    await flushing;
    expect(exporter.received).toBe(20);
    // ~1.1 KB per line, 4 KiB per batch: at most 3 lines each.
    expect(Math.max(...exporter.batches)).toBeLessThanOrEqual(3);
  });

  it('flushes on its interval with an unref\'d timer, and on shutdown (idempotent)', async () => {
    const dir = tmpDir();
    const batch = new TelemetryBatchProcessor({ exporter: new JsonlFileExporter({ dir }), scheduledDelayMillis: 20 });
    const logger = provider(batch).getLogger(TELEMETRY_SCOPE);
    logger.emit({ eventName: 'timed' });
    for (let i = 0; i < 100 && batch.queued > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(batch.queued).toBe(0);
    expect(readFileSync(join(dir, 'batch.jsonl'), 'utf8')).toContain('"event":"timed"');
    logger.emit({ eventName: 'at_shutdown' });
    await Promise.all([batch.shutdown(), batch.shutdown()]);
    logger.emit({ eventName: 'after_shutdown' });
    const text = readFileSync(join(dir, 'batch.jsonl'), 'utf8');
    expect(text).toContain('at_shutdown');
    expect(text).not.toContain('after_shutdown');
  });

  it('survives an exporter that throws or never calls back', async () => {
    const throwing: LogRecordExporter = { export: () => { throw new Error('exporter bug'); }, forceFlush: async () => {}, shutdown: async () => {} };
    const silent: LogRecordExporter = { export: () => {}, forceFlush: async () => {}, shutdown: async () => {} };
    for (const exporter of [throwing, silent]) {
      const batch = new TelemetryBatchProcessor({ exporter, maxExportBatchSize: 2, exportTimeoutMillis: 50 });
      const logger = provider(batch).getLogger(TELEMETRY_SCOPE);
      expect(() => { for (let i = 0; i < 5; i++) logger.emit({ eventName: 'x' }); }).not.toThrow();
      await batch.forceFlush();
      expect(batch.failed).toBe(5);
    }
  });
});
