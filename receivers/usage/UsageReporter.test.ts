import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { productTelemetry, type ProductTelemetryOptions } from '../../pipeline/productTelemetry.js';
import { telemetry } from '../api/telemetry.js';
import { readJsonl, tmpDir } from '../../test/helpers.js';
import { COUNTERS_FILE } from './counterStore.js';
import { loadEnvironmentConfig } from '../environment/config.js';
import { ProductEnvironment } from '../environment/ProductEnvironment.js';
import type { TelemetryData } from './telemetryData.js';
import { UsageCounters } from './UsageCounters.js';
import { UsageReporter } from './UsageReporter.js';
import { usageState } from './usageState.js';

function drain(): void {
  const s = usageState();
  s.commands.subtract(s.commands.snapshot());
  s.metrics.subtract(s.metrics.snapshot());
}

function setup(options: ProductTelemetryOptions = {}) {
  const dir = options.dir ?? tmpDir();
  const pt = productTelemetry({ dir, scenario: 'usage', enabled: true, env: {}, product: { productName: 'shop', productVersion: '1.2.3' }, ...options });
  const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
  const reports = () => readJsonl(join(dir, 'usage.jsonl')).filter((l) => l.event === 'usage_report');
  const rawLines = () => (existsSync(join(dir, 'usage.jsonl')) ? readFileSync(join(dir, 'usage.jsonl'), 'utf8').split('\n').filter(Boolean) : []);
  return { dir, pt, provider, reports, rawLines };
}

type Report = { product: { internals: { commands: Record<string, { count: number }>; metrics: Record<string, { count: number }> } } };
const commandsOf = (line: Record<string, unknown>) => (line.details as Report).product.internals.commands;
const metricsOf = (line: Record<string, unknown>) => (line.details as Report).product.internals.metrics;

describe('usage report', () => {
  beforeEach(drain);
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is emitted every TELEMETRY_REPORT_INTERVAL_MS through the pipeline (fake timers), never before', async () => {
    vi.useFakeTimers();
    const { pt, reports, provider } = setup({ usage: { reportIntervalMs: 60_000 } });
    telemetry.countCommand('CreateOrder', 2);
    vi.advanceTimersByTime(59_999);
    pt.flushSync();
    expect(reports()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    pt.flushSync();
    expect(reports()).toHaveLength(1);
    expect(commandsOf(reports()[0]!)).toEqual({ CreateOrder: { count: 2 } });
    vi.advanceTimersByTime(60_000);
    pt.flushSync();
    // An interval with no usage still reports (the environment), with empty counters.
    expect(reports()).toHaveLength(2);
    expect(commandsOf(reports()[1]!)).toEqual({});
    vi.useRealTimers();
    await provider.shutdown();
  });

  it('TELEMETRY_REPORT_INTERVAL_MS below 1000: a code option throws naming it; the env var inside an app is reported, never thrown', () => {
    expect(() => productTelemetry({ dir: tmpDir(), exitHooks: false, usage: { reportIntervalMs: 10 } })).toThrow(/reportIntervalMs/);
    const pt = productTelemetry({ dir: tmpDir(), exitHooks: false, env: { TELEMETRY_REPORT_INTERVAL_MS: '10' } });
    expect(pt.config.dir).toBeTruthy();
    void pt.shutdown();
  });

  it('counts are reset only by what was reported: nothing counted twice, nothing lost across a boundary', async () => {
    const { pt, reports, provider } = setup();
    telemetry.countCommand('A', 3);
    telemetry.countMetric('exports', 7);
    expect(pt.reportUsage()).toBe(true);
    telemetry.countCommand('A', 2);
    telemetry.countCommand('B');
    expect(pt.reportUsage()).toBe(true);
    expect(pt.reportUsage()).toBe(true);
    await provider.forceFlush();
    const r = reports();
    expect(r.map(commandsOf)).toEqual([{ A: { count: 3 } }, { A: { count: 2 }, B: { count: 1 } }, {}]);
    expect(r.map(metricsOf)).toEqual([{ exports: { count: 7 } }, {}, {}]);
    await provider.shutdown();
  });

  it('an increment racing the report (counted while the report is emitted) stays for the next report', () => {
    const dir = tmpDir();
    const counters = { commands: new UsageCounters(), metrics: new UsageCounters() };
    const consent = { enabled: true };
    const environment = new ProductEnvironment({ config: loadEnvironmentConfig({}, {}), dir, consent });
    const sent: TelemetryData[] = [];
    const reporter = new UsageReporter({
      dir,
      consent,
      environment,
      counters,
      emit: (data) => {
        sent.push(data);
        counters.commands.add('A', 10); // after the snapshot, before the reset
      },
    });
    counters.commands.add('A', 1);
    expect(reporter.report()).toBe(true);
    expect(reporter.report()).toBe(true);
    expect(sent.map((d) => d.product.internals.commands)).toEqual([{ A: { count: 1 } }, { A: { count: 10 } }]);
    expect(counters.commands.snapshot().get('A')).toBe(10);
    expect(existsSync(join(dir, COUNTERS_FILE))).toBe(false);
  });

  it('getTelemetryData() equals the report body byte for byte', async () => {
    const { pt, rawLines, provider } = setup({ product: { productName: 'shop', productVersion: '1.2.3', productEdition: 'enterprise', databaseVendor: 'postgresql', databaseVersion: '16.1', integrations: ['helm'], license: { customer: 'ACME', 'valid-until': '2030-01-01', unlimited: false } } });
    telemetry.countCommand('CreateOrder', 40);
    telemetry.countCommand('ResetPassword', 1);
    telemetry.countMetric('errors', 3);
    const before = JSON.stringify(pt.getTelemetryData());
    expect(JSON.stringify(telemetry.getTelemetryData())).toBe(before);
    expect(pt.reportUsage()).toBe(true);
    await provider.forceFlush();
    const [line] = rawLines();
    expect(line).toContain('"event":"usage_report","details":' + before + ',"id":');
    // The pipeline redacts keys like "password"; the transparency output shows the same, not more.
    expect(before).toContain('"ResetPassword":"[REDACTED]"');
    expect(JSON.parse(before)).toMatchObject({
      installation: expect.stringMatching(/^[0-9a-f-]{36}$/),
      product: {
        name: 'shop',
        version: '1.2.3',
        edition: 'enterprise',
        internals: {
          database: { vendor: 'postgresql', version: '16.1' },
          runtime: { vendor: 'Node.js', version: process.versions.node },
          commands: { CreateOrder: { count: 40 } },
          metrics: { errors: { count: 3 } },
          integrations: expect.arrayContaining(['helm']),
          'license-key': { customer: 'ACME', 'valid-until': '2030-01-01', unlimited: false },
        },
      },
    });
    await provider.shutdown();
  });

  it('at shutdown: one final report when something was counted, none when nothing was', async () => {
    const a = setup();
    telemetry.countCommand('Last', 1);
    await a.provider.shutdown();
    expect(a.reports().map(commandsOf)).toEqual([{ Last: { count: 1 } }]);
    await a.pt.shutdown(); // idempotent: no second report
    expect(a.reports()).toHaveLength(1);

    const b = setup();
    await b.provider.shutdown();
    expect(b.reports()).toHaveLength(0);
  });

  it('unreported counts are saved at flushSync (exit) and reported by the next process using the dir', async () => {
    const first = setup();
    telemetry.countCommand('BeforeRestart', 5);
    first.pt.flushSync();
    expect(JSON.parse(readFileSync(join(first.dir, COUNTERS_FILE), 'utf8'))).toEqual({ commands: { BeforeRestart: 5 }, metrics: {} });
    // Moved, not copied: the transparency output still shows 5 once.
    expect(first.pt.getTelemetryData().product.internals.commands).toEqual({ BeforeRestart: { count: 5 } });

    drain();
    const second = setup({ dir: first.dir });
    telemetry.countCommand('AfterRestart', 1);
    expect(second.pt.reportUsage()).toBe(true);
    await second.provider.forceFlush();
    expect(second.reports().map(commandsOf)).toEqual([{ AfterRestart: { count: 1 }, BeforeRestart: { count: 5 } }]);
    expect(existsSync(join(first.dir, COUNTERS_FILE))).toBe(false);
    await second.provider.shutdown();
  });

  it('with telemetry off: counts and answers getTelemetryData(), but emits and writes nothing', async () => {
    const { dir, pt, provider } = setup({ enabled: false });
    telemetry.countCommand('Quiet', 4);
    const data = pt.getTelemetryData();
    expect(data.product.internals.commands).toEqual({ Quiet: { count: 4 } });
    expect(data.installation).toMatch(/^[0-9a-f-]{36}$/);
    expect(pt.getTelemetryData().installation).toBe(data.installation);
    expect(pt.reportUsage()).toBe(false);
    pt.flushSync();
    await provider.shutdown();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('telemetry log: what was sent at debug (counts, bytes), problems at warn, through diag', async () => {
    const messages: { level: string; text: string }[] = [];
    const record = (level: string) => (text: string) => messages.push({ level, text });
    const logger: DiagLogger = { error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug'), verbose: record('verbose') };
    diag.setLogger(logger, { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true });
    try {
      const { dir, pt, provider } = setup();
      telemetry.countCommand('Logged', 2);
      expect(pt.reportUsage()).toBe(true);
      const sent = messages.find((m) => m.level === 'debug' && m.text.includes('usage report emitted'));
      expect(sent?.text).toMatch(/usage report emitted: 1 commands, 0 metrics, \d+ bytes/);
      writeFileSync(join(dir, COUNTERS_FILE), '{not json');
      pt.getTelemetryData();
      expect(messages.some((m) => m.level === 'warn' && m.text.includes('ignoring unreadable usage-counters.json'))).toBe(true);
      await provider.shutdown();
    } finally {
      diag.disable();
    }
  });
});
