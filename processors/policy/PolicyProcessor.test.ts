import { describe, expect, it } from 'vitest';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_SCENARIO, CRASH_EVENT, TELEMETRY_SCOPE } from '../../core/record.js';
import { PolicyProcessor, type DropReason, type PolicyProcessorOptions } from './PolicyProcessor.js';

function setup(options: Omit<PolicyProcessorOptions, 'next'> = {}) {
  const passed = new InMemoryLogRecordExporter();
  const drops: { event: string | undefined; reason: DropReason; message: string }[] = [];
  const policy = new PolicyProcessor({
    next: new SimpleLogRecordProcessor({ exporter: passed }),
    defaultScenario: 'policy',
    onDrop: (record: SdkLogRecord, reason, message) => drops.push({ event: record.eventName, reason, message }),
    ...options,
  });
  const provider = new LoggerProvider({ processors: [policy] });
  const logger = provider.getLogger(TELEMETRY_SCOPE);
  const events = (): (string | undefined)[] => passed.getFinishedLogRecords().map((r) => r.eventName);
  return { policy, provider, logger, drops, events };
}

function captureDiag(): { errors: string[]; debug: string[]; restore: () => void } {
  const errors: string[] = [];
  const debug: string[] = [];
  const logger: DiagLogger = { error: (m) => errors.push(m), warn: () => undefined, info: () => undefined, debug: (m) => debug.push(m), verbose: () => undefined };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  return { errors, debug, restore: () => diag.disable() };
}

describe('PolicyProcessor (real LoggerProvider)', () => {
  it('keeps valid events and crash events in production', async () => {
    const { logger, provider, events, policy } = setup({ environment: 'production' });
    logger.emit({ eventName: 'app_start' });
    logger.emit({ eventName: CRASH_EVENT, body: { message: 'boom' } });
    await provider.forceFlush();
    expect(events()).toEqual(['app_start', CRASH_EVENT]);
    expect(policy.counts).toEqual({ crash_outside_production: 0, invalid: 0, too_large: 0 });
  });

  it('drops crash events outside production, counts them and reports them quietly (diag debug)', async () => {
    const d = captureDiag();
    try {
      const { logger, provider, events, policy, drops } = setup({ environment: 'development' });
      logger.emit({ eventName: CRASH_EVENT, body: { message: 'boom' } });
      logger.emit({ eventName: 'still_kept' });
      await provider.forceFlush();
      expect(events()).toEqual(['still_kept']);
      expect(policy.counts.crash_outside_production).toBe(1);
      expect(drops).toEqual([{ event: CRASH_EVENT, reason: 'crash_outside_production', message: expect.stringMatching(/TELEMETRY_ENVIRONMENT=production/) }]);
      expect(d.errors).toEqual([]);
      expect(d.debug.join('\n')).toMatch(/dropped event "crash"/);
    } finally {
      d.restore();
    }
  });

  it('drops events without a name and events with an unsafe scenario as invalid (diag error naming the field)', async () => {
    const d = captureDiag();
    try {
      const { logger, provider, events, policy, drops } = setup();
      logger.emit({ body: { no: 'name' } });
      logger.emit({ eventName: '' });
      logger.emit({ eventName: 'escape', attributes: { [ATTR_SCENARIO]: '../outside' } });
      logger.emit({ eventName: 'device', attributes: { [ATTR_SCENARIO]: 'con' } });
      logger.emit({ eventName: 'ok', attributes: { [ATTR_SCENARIO]: 'fine' } });
      await provider.forceFlush();
      expect(events()).toEqual(['ok']);
      expect(policy.counts.invalid).toBe(4);
      expect(drops.map((x) => x.reason)).toEqual(['invalid', 'invalid', 'invalid', 'invalid']);
      expect(drops[0]!.message).toMatch(/event/);
      expect(drops[2]!.message).toMatch(/scenario/);
      expect(d.errors).toHaveLength(4);
    } finally {
      d.restore();
    }
  });

  it('drops events over maxEventBytes, counting UTF-8 bytes, not characters', async () => {
    const { logger, provider, events, policy, drops } = setup({ maxEventBytes: 1024 });
    logger.emit({ eventName: 'small', body: { text: 'x'.repeat(100) } });
    logger.emit({ eventName: 'big', body: { text: 'x'.repeat(2000) } });
    // 600 characters, but 1200 bytes in UTF-8: over the limit.
    logger.emit({ eventName: 'wide', body: { text: 'é'.repeat(600) } });
    await provider.forceFlush();
    expect(events()).toEqual(['small']);
    expect(policy.counts.too_large).toBe(2);
    expect(drops.map((x) => [x.event, x.reason])).toEqual([
      ['big', 'too_large'],
      ['wide', 'too_large'],
    ]);
    expect(drops[0]!.message).toMatch(/exceeds the 1024-byte limit/);
  });

  it('counts every reason separately', async () => {
    const { logger, provider, policy } = setup({ environment: 'staging', maxEventBytes: 512 });
    logger.emit({ eventName: CRASH_EVENT });
    logger.emit({ eventName: CRASH_EVENT });
    logger.emit({ body: 'no name' });
    logger.emit({ eventName: 'huge', body: 'y'.repeat(1000) });
    logger.emit({ eventName: 'huge', body: 'y'.repeat(1000) });
    logger.emit({ eventName: 'huge', body: 'y'.repeat(1000) });
    await provider.forceFlush();
    expect(policy.counts).toEqual({ crash_outside_production: 2, invalid: 1, too_large: 3 });
  });

  it('ignores records of other scopes unless allScopes is set', async () => {
    const narrow = setup({ environment: 'development' });
    narrow.provider.getLogger('my-app').emit({ eventName: CRASH_EVENT });
    await narrow.provider.forceFlush();
    expect(narrow.policy.counts.crash_outside_production).toBe(0);
    expect(narrow.events()).toEqual([]);

    const wide = setup({ environment: 'development', allScopes: true });
    wide.provider.getLogger('my-app').emit({ eventName: CRASH_EVENT });
    wide.provider.getLogger('my-app').emit({ eventName: 'kept' });
    await wide.provider.forceFlush();
    expect(wide.policy.counts.crash_outside_production).toBe(1);
    expect(wide.events()).toEqual(['kept']);
  });

  it('a throwing onDrop hook is reported, never thrown into the emitting code', async () => {
    const d = captureDiag();
    try {
      const passed = new InMemoryLogRecordExporter();
      const policy = new PolicyProcessor({ next: new SimpleLogRecordProcessor({ exporter: passed }), onDrop: () => { throw new Error('hook broke'); } });
      const logger = new LoggerProvider({ processors: [policy] }).getLogger(TELEMETRY_SCOPE);
      expect(() => logger.emit({ body: 'no name' })).not.toThrow();
      expect(policy.counts.invalid).toBe(1);
      expect(d.errors.join('\n')).toMatch(/onDrop hook failed: hook broke/);
    } finally {
      d.restore();
    }
  });
});
