import { describe, expect, it } from 'vitest';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsentState } from '../../core/consent.js';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { tmpDir } from '../../test/helpers.js';
import { ConsentProcessor } from './ConsentProcessor.js';

function setup(enabled: boolean, options: { sibling?: boolean } = {}) {
  const consent = new ConsentState({ dir: tmpDir(), enabled, doNotTrack: false, sdkDisabled: false });
  const passed = new InMemoryLogRecordExporter();
  const gate = new ConsentProcessor({ next: new SimpleLogRecordProcessor({ exporter: passed }), consent });
  // A sibling without `enabled()` (e.g. an application log exporter) keeps the logger enabled, so the SDK hands the
  // record to the gate's onEmit and the gate itself must hold it back.
  const siblingSeen = new InMemoryLogRecordExporter();
  const processors = options.sibling ? [gate, new SimpleLogRecordProcessor({ exporter: siblingSeen })] : [gate];
  const provider = new LoggerProvider({ processors });
  const events = (): (string | undefined)[] => passed.getFinishedLogRecords().map((r) => r.eventName);
  return { consent, gate, provider, passed, siblingSeen, events };
}

describe('ConsentProcessor (opt-in gate, real LoggerProvider)', () => {
  it('off: nothing reaches the chain, and enabled() tells the SDK to skip the emit', async () => {
    const { gate, provider, events } = setup(false);
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    expect(gate.enabled({ instrumentationScope: { name: TELEMETRY_SCOPE } })).toBe(false);
    expect(logger.enabled()).toBe(false);
    logger.emit({ eventName: 'ignored' });
    await provider.forceFlush();
    expect(events()).toEqual([]);
  });

  it('off, with a sibling processor keeping the logger enabled: the gate still holds the record back', async () => {
    const { provider, events, siblingSeen } = setup(false, { sibling: true });
    provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'held' });
    await provider.forceFlush();
    expect(siblingSeen.getFinishedLogRecords()).toHaveLength(1);
    expect(events()).toEqual([]);
  });

  it('on: telemetry records go through', async () => {
    const { gate, provider, events } = setup(true);
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    expect(gate.enabled({ instrumentationScope: { name: TELEMETRY_SCOPE } })).toBe(true);
    expect(logger.enabled()).toBe(true);
    logger.emit({ eventName: 'a' });
    logger.emit({ eventName: 'b' });
    await provider.forceFlush();
    expect(events()).toEqual(['a', 'b']);
  });

  it('follows the toggle at run time, both ways, without a new provider', async () => {
    const { consent, provider, events } = setup(false, { sibling: true });
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    logger.emit({ eventName: 'before' });
    consent.setEnabled(true);
    logger.emit({ eventName: 'while-on' });
    consent.setEnabled(false);
    logger.emit({ eventName: 'after' });
    await provider.forceFlush();
    expect(events()).toEqual(['while-on']);
    expect(consent.reason).toBe('toggle');
  });

  it('leaves records of other scopes (application logs) to other processors, and says it is not enabled for them', async () => {
    const { gate, provider, events, siblingSeen } = setup(true, { sibling: true });
    expect(gate.enabled({ instrumentationScope: { name: 'my-app' } })).toBe(false);
    provider.getLogger('my-app').emit({ eventName: 'app-log' });
    provider.getLogger(TELEMETRY_SCOPE).emit({ eventName: 'telemetry' });
    await provider.forceFlush();
    expect(events()).toEqual(['telemetry']);
    expect(siblingSeen.getFinishedLogRecords().map((r) => r.eventName)).toEqual(['app-log', 'telemetry']);
  });

  it('alone on a provider, other scopes are disabled (the SDK skips building their records)', () => {
    const { provider } = setup(true);
    expect(provider.getLogger('my-app').enabled()).toBe(false);
  });
});
