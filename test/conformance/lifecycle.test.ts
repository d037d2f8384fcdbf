import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogAttributes } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import * as rootExports from '../../index.js';
import * as processorExports from '../../processors/index.js';
import * as exporterExports from '../../exporters/index.js';
import * as receiverExports from '../../receivers/index.js';
import * as collectorExports from '../../collector.js';
import { ConsentProcessor, PolicyProcessor, RedactionProcessor, TelemetryBatchProcessor } from '../../processors/index.js';
import { ClickHouseLogExporter, createStoreUpload, JsonlFileExporter, UploadExporter } from '../../exporters/index.js';
import { ConsentState } from '../../core/consent.js';
import { ATTR_SCENARIO, TELEMETRY_SCOPE } from '../../core/record.js';
import { tmpDir } from '../helpers.js';

/**
 * One lifecycle contract for every LogRecordProcessor and LogRecordExporter the package exports: create, emit or
 * export, forceFlush, shutdown twice, calls after shutdown, and hostile records — and through all of it nothing is
 * ever thrown into the host. An export reports its outcome through the callback, exactly once, FAILED after shutdown.
 * A new exported processor or exporter fails the "covers every export" test until a case is added here.
 */

// Nothing listens on the discard port on loopback: uploads and ClickHouse inserts fail fast there.
const CLOSED = 'http://127.0.0.1:9';
const SCENARIO = 'conformance';

interface ProcessorCase {
  name: string;
  /** The processor under test and the file its chain writes what it lets through to. */
  make(): { processor: LogRecordProcessor; file: string };
}

interface ExporterCase {
  name: string;
  make(): LogRecordExporter;
  /** What a valid export reports before shutdown (the ClickHouse exporter cannot reach its server). */
  validResult: ExportResultCode;
}

function consentOn(dir: string): ConsentState {
  return new ConsentState({ dir, enabled: true, doNotTrack: false, sdkDisabled: false });
}

/** The chain behind the rule processors: batch → JSONL file, as in the pipeline. */
function storeChain(): { next: TelemetryBatchProcessor; file: string } {
  const dir = tmpDir();
  return { next: new TelemetryBatchProcessor({ exporter: new JsonlFileExporter({ dir, defaultScenario: SCENARIO }) }), file: join(dir, `${SCENARIO}.jsonl`) };
}

const processorCases: ProcessorCase[] = [
  {
    name: 'ConsentProcessor',
    make() {
      const { next, file } = storeChain();
      return { processor: new ConsentProcessor({ next, consent: consentOn(tmpDir()) }), file };
    },
  },
  {
    name: 'RedactionProcessor',
    make() {
      const { next, file } = storeChain();
      return { processor: new RedactionProcessor({ next }), file };
    },
  },
  {
    name: 'PolicyProcessor',
    make() {
      const { next, file } = storeChain();
      return { processor: new PolicyProcessor({ next, defaultScenario: SCENARIO }), file };
    },
  },
  {
    name: 'TelemetryBatchProcessor',
    make() {
      const { next, file } = storeChain();
      return { processor: next, file };
    },
  },
];

const uploadTimeouts = { timeoutMs: 200, backoffMs: 10, maxBackoffMs: 20, shutdownTimeoutMs: 800, intervalMs: 3_600_000 };

const exporterCases: ExporterCase[] = [
  { name: 'JsonlFileExporter', make: () => new JsonlFileExporter({ dir: tmpDir(), defaultScenario: SCENARIO }), validResult: ExportResultCode.SUCCESS },
  {
    name: 'UploadExporter',
    make() {
      const dir = tmpDir();
      return new UploadExporter({ url: `${CLOSED}/api/v1/telemetry/upload`, dir, consent: consentOn(dir), defaultScenario: SCENARIO, env: {}, ...uploadTimeouts });
    },
    // Spooled durably: the upload to the closed port is the uploader's business, retried later.
    validResult: ExportResultCode.SUCCESS,
  },
  {
    name: 'UploadingStoreExporter',
    make() {
      const dir = tmpDir();
      const store = new JsonlFileExporter({ dir, defaultScenario: SCENARIO });
      const exporter = createStoreUpload({ dir, defaultScenario: SCENARIO, shutdownTimeoutMs: 800, consent: consentOn(dir), store, env: {}, options: { url: `${CLOSED}/api/v1/telemetry/upload`, ...uploadTimeouts } });
      if (exporter === undefined) throw new Error('createStoreUpload returned no exporter for a URL');
      return exporter;
    },
    validResult: ExportResultCode.SUCCESS,
  },
  {
    name: 'ClickHouseLogExporter',
    make: () => new ClickHouseLogExporter({ url: CLOSED, database: 'conformance', table: 'never', retryDeadlineMs: 200, backoffMs: 10, maxBackoffMs: 20, timeoutMs: 200, defaultScenario: SCENARIO, env: {} }),
    validResult: ExportResultCode.FAILED,
  },
];

/** Records a host may hand over: valid, invalid, and hostile bodies (throwing getters, BigInt, cycles, proxies). */
function emitArgs(): { label: string; args: { eventName?: string; body?: unknown; attributes?: LogAttributes } }[] {
  const getter: Record<string, unknown> = { fine: 1 };
  Object.defineProperty(getter, 'password', { enumerable: true, get: () => { throw new Error('getter says no'); } });
  const nestedGetter = { outer: getter };
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const proxy = new Proxy({}, { ownKeys: () => { throw new Error('ownKeys says no'); }, get: () => { throw new Error('get says no'); } });
  return [
    { label: 'valid', args: { eventName: 'ok', body: { n: 1 } } },
    { label: 'no event name', args: { body: { n: 2 } } },
    { label: 'unsafe scenario', args: { eventName: 'escape', attributes: { [ATTR_SCENARIO]: '../outside' } } },
    { label: 'BigInt in the body', args: { eventName: 'bigint', body: { n: 1n } } },
    { label: 'cyclic body', args: { eventName: 'cycle', body: cycle } },
    { label: 'throwing getter', args: { eventName: 'getter', body: getter } },
    { label: 'throwing getter, nested', args: { eventName: 'nested-getter', body: nestedGetter } },
    { label: 'throwing proxy', args: { eventName: 'proxy', body: proxy } },
    { label: 'huge body', args: { eventName: 'huge', body: { pad: 'x'.repeat(600 * 1024) } } },
  ];
}

/** Real SDK records (what processors hand exporters), one per emitArgs() entry. */
async function readableRecords(): Promise<{ label: string; record: ReadableLogRecord }[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const all = emitArgs();
  for (const { args } of all) provider.getLogger(TELEMETRY_SCOPE).emit(args as never);
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  expect(records).toHaveLength(all.length);
  return all.map(({ label }, i) => ({ label, record: records[i]! }));
}

/** Export and wait for the callback; fails if it is not called exactly once (within `ms`) or if export throws. */
async function exportOnce(exporter: LogRecordExporter, records: ReadableLogRecord[], ms = 10_000): Promise<ExportResult> {
  let calls = 0;
  const result = await new Promise<ExportResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`export callback not called within ${ms} ms`)), ms);
    try {
      exporter.export(records, (r) => {
        calls++;
        clearTimeout(timer);
        resolve(r);
      });
    } catch (err) {
      clearTimeout(timer);
      reject(new Error(`export threw into the host: ${(err as Error).message}`));
    }
  });
  // A second call of the callback would show up here (the SDK would count the batch twice).
  await new Promise((r) => setTimeout(r, 20));
  expect(calls).toBe(1);
  return result;
}

function emitAll(provider: LoggerProvider, scope = TELEMETRY_SCOPE): void {
  const logger = provider.getLogger(scope);
  for (const { label, args } of emitArgs()) {
    expect(() => logger.emit(args as never), label).not.toThrow();
  }
}

function linesOf(file: string): { event: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string });
}

describe('conformance: every exported LogRecordProcessor and LogRecordExporter is covered', () => {
  it('covers every export', () => {
    const processors = new Set<string>();
    const exporters = new Set<string>();
    for (const mod of [rootExports, processorExports, exporterExports, receiverExports, collectorExports] as Record<string, unknown>[]) {
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value !== 'function' || value.prototype === undefined) continue;
        const proto = value.prototype as Record<string, unknown>;
        const has = (m: string): boolean => typeof proto[m] === 'function';
        if (has('onEmit') && has('forceFlush') && has('shutdown')) processors.add(name);
        if (has('export') && has('forceFlush') && has('shutdown')) exporters.add(name);
      }
    }
    expect([...processors].sort()).toEqual(processorCases.map((c) => c.name).sort());
    expect([...exporters].sort()).toEqual(exporterCases.map((c) => c.name).sort());
  });
});

describe.each(processorCases)('conformance: $name', (c) => {
  it('create, emit, forceFlush: valid records reach the store, hostile ones never throw into the host', async () => {
    const { processor, file } = c.make();
    const provider = new LoggerProvider({ processors: [processor] });
    emitAll(provider);
    emitAll(provider, 'some-app');
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    await expect(processor.forceFlush()).resolves.toBeUndefined();
    expect(linesOf(file).map((l) => l.event)).toContain('ok');
    await provider.shutdown();
  });

  it('shutdown twice resolves; emit, forceFlush and shutdown after shutdown neither throw nor reject', async () => {
    const { processor, file } = c.make();
    const provider = new LoggerProvider({ processors: [processor] });
    provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'before' });
    await expect(processor.shutdown()).resolves.toBeUndefined();
    await expect(processor.shutdown()).resolves.toBeUndefined();
    // Shut down, what was emitted before is in the store.
    expect(linesOf(file).map((l) => l.event)).toEqual(['before']);
    // A provider that was not shut down still hands the processor fresh records.
    const other = new LoggerProvider({ processors: [processor] });
    emitAll(other);
    expect(() => provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'after-provider' })).not.toThrow();
    await expect(processor.forceFlush()).resolves.toBeUndefined();
    await expect(provider.shutdown()).resolves.toBeUndefined();
    await expect(provider.shutdown()).resolves.toBeUndefined();
    // Nothing is written after shutdown.
    expect(linesOf(file).map((l) => l.event)).toEqual(['before']);
  });
});

describe.each(exporterCases)('conformance: $name', (c) => {
  it('create, export (callback exactly once), hostile records, forceFlush', async () => {
    const exporter = c.make();
    const records = await readableRecords();
    const valid = records.find((r) => r.label === 'valid')!.record;
    expect((await exportOnce(exporter, [valid])).code).toBe(c.validResult);
    for (const { label, record } of records) {
      const result = await exportOnce(exporter, [record]);
      expect([ExportResultCode.SUCCESS, ExportResultCode.FAILED], label).toContain(result.code);
    }
    expect([ExportResultCode.SUCCESS, ExportResultCode.FAILED]).toContain((await exportOnce(exporter, records.map((r) => r.record))).code);
    expect([ExportResultCode.SUCCESS, ExportResultCode.FAILED]).toContain((await exportOnce(exporter, [])).code);
    await expect(exporter.forceFlush?.()).resolves.toBeUndefined();
    await exporter.shutdown();
  });

  it('shutdown twice resolves; export after shutdown reports FAILED through the callback and never throws', async () => {
    const exporter = c.make();
    const { record } = (await readableRecords())[0]!;
    await expect(exporter.shutdown()).resolves.toBeUndefined();
    await expect(exporter.shutdown()).resolves.toBeUndefined();
    const after = await exportOnce(exporter, [record]);
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(after.error).toBeInstanceOf(Error);
    await expect(exporter.forceFlush?.()).resolves.toBeUndefined();
  });
});
