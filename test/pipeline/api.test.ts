import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { readJsonl, tmpDir } from '../helpers.js';
import { setupPipeline } from './setup.js';
import { ValidationError, ScenarioNameError } from '../../core/errors.js';

const ACK = { status: 201, message: 'Created', fin: true, statusCode: '201' };

describe('recording API → JSONL lines', () => {
  it('maps appcd event() to the documented line', async () => {
    const { dir, provider, t } = setupPipeline();
    const ack = await t.event({ event: 'app_start', scenario: 'picker-wheel', deployment_id: 'deploy-123', timestamp: '2025-01-15T12:00:00Z', version: '1.0.0', nested: { a: [1, { b: true }] } });
    expect(ack).toEqual(ACK);
    await provider.forceFlush();
    const [line, ...rest] = readJsonl(join(dir, 'picker-wheel.jsonl'));
    expect(rest).toHaveLength(0);
    expect(line).toMatchObject({
      ts: '2025-01-15T12:00:00.000Z',
      scenario: 'picker-wheel',
      deployment_id: 'deploy-123',
      event: 'app_start',
      details: { version: '1.0.0', nested: { a: [1, { b: true }] } },
    });
    expect(Object.keys(line!)).toEqual(['ts', 'scenario', 'deployment_id', 'installation_id', 'event', 'details', 'id']);
    expect(line!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('every event knows its installation: events, crashes and usage reports carry the pipeline\'s installation id', async () => {
    const { dir, pt, provider, t } = setupPipeline();
    await t.event({ event: 'app_start' });
    await t.crash(new Error('boom'));
    expect(pt.reportUsage()).toBe(true);
    // A record that carries its own app.installation.id keeps it (and it is not repeated in details).
    provider.getLogger('otel-product-telemetry').emit({ eventName: 'imported', attributes: { 'app.installation.id': 'other-installation' } });
    await provider.forceFlush();
    await pt.forceFlush();
    const installation = pt.getTelemetryData().installation;
    expect(installation).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(readFileSync(join(dir, 'installation-id'), 'utf8').trim()).toBe(installation);
    const lines = readJsonl(join(dir, 'test-app.jsonl'));
    expect(lines.map((l) => [l.event, l.installation_id])).toEqual([
      ['app_start', installation],
      ['crash', installation],
      ['usage_report', installation],
      ['imported', 'other-installation'],
    ]);
    expect(lines[3]).not.toHaveProperty('details');
    const text = readFileSync(join(dir, 'test-app.jsonl'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^\{"ts":"[^"]+","scenario":"test-app","installation_id":"[0-9a-f-]{36}","event":"app_start","id":"[^"]+"\}$/);
    await pt.shutdown();
  });

  it('while telemetry is off nothing is recorded and no installation id file is created', async () => {
    const { dir, pt, provider, t } = setupPipeline({ enabled: false });
    await t.event({ event: 'app_start' }).catch(() => undefined);
    await provider.forceFlush();
    await pt.forceFlush();
    expect(existsSync(join(dir, 'installation-id'))).toBe(false);
    expect(existsSync(join(dir, 'test-app.jsonl'))).toBe(false);
    await pt.shutdown();
  });

  it('uses the default scenario, keeps app in details, omits empty details and deployment_id', async () => {
    const { dir, provider, t } = setupPipeline();
    await t.event({ event: 'bare' });
    await t.event({ event: 'with_app', app: 'guid-1' });
    await provider.forceFlush();
    const lines = readJsonl(join(dir, 'test-app.jsonl'));
    expect(lines.map((l) => l.event)).toEqual(['bare', 'with_app']);
    expect(lines[0]).not.toHaveProperty('details');
    expect(lines[0]).not.toHaveProperty('deployment_id');
    expect(lines[1]!.details).toEqual({ app: 'guid-1' });
  });

  it('keeps an event id given by the caller', async () => {
    const { dir, provider, t } = setupPipeline();
    await t.event({ event: 'x', id: 'evt-0001' });
    await provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl'))[0]!.id).toBe('evt-0001');
  });

  it('maps crash(Error) and crash(payload) with FATAL level, message and stack in details', async () => {
    const { dir, provider, t } = setupPipeline();
    const err = new TypeError('boom');
    expect(await t.crash(err)).toEqual(ACK);
    expect(await t.crash({ message: 'kaput', app: 'guid-2', stack: 'Error: kaput\n    at x', favoriteFruit: 'banana' })).toEqual(ACK);
    await provider.forceFlush();
    const [a, b] = readJsonl(join(dir, 'test-app.jsonl'));
    expect(a).toMatchObject({ event: 'crash', level: 'fatal', details: { message: 'boom', type: 'TypeError' } });
    expect(String((a!.details as Record<string, unknown>).stack)).toContain('TypeError: boom');
    expect(b).toMatchObject({ event: 'crash', level: 'fatal', details: { message: 'kaput', app: 'guid-2', stack: 'Error: kaput\n    at x', favoriteFruit: 'banana' } });
  });

  it('carries crash semantics on the OTel record (exception.* attributes, severity FATAL)', async () => {
    const { InMemoryLogRecordExporter, SimpleLogRecordProcessor, LoggerProvider } = await import('@opentelemetry/sdk-logs');
    const { productTelemetry } = await import('../../pipeline/productTelemetry.js');
    const { createTelemetryInstance } = await import('../../receivers/api/TelemetryInstance.js');
    const pt = productTelemetry({ dir: tmpDir(), enabled: true, env: {} });
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [...pt.logRecordProcessors, new SimpleLogRecordProcessor({ exporter: memory })] });
    const t = createTelemetryInstance({ loggerProvider: provider, runtime: { consent: pt.consent, config: pt.config } });
    await t.crash(new RangeError('out of range'));
    const [rec] = memory.getFinishedLogRecords();
    expect(rec!.severityNumber).toBe(SeverityNumber.FATAL);
    expect(rec!.eventName).toBe('crash');
    expect(rec!.attributes['exception.type']).toBe('RangeError');
    expect(rec!.attributes['exception.message']).toBe('out of range');
    expect(String(rec!.attributes['exception.stacktrace'])).toContain('RangeError: out of range');
  });

  it('maps Strapi send() property groups and resolves booleans', async () => {
    const { dir, provider, t } = setupPipeline();
    expect(await t.send('didCreateEntry', { eventProperties: { model: 'article' }, userProperties: { os: 'linux' }, groupProperties: { locales: 2 } })).toBe(true);
    expect(await t.send('', {})).toBe(false);
    await provider.forceFlush();
    const [line] = readJsonl(join(dir, 'test-app.jsonl'));
    expect(line).toMatchObject({ event: 'didCreateEntry', details: { model: 'article', userProperties: { os: 'linux' }, groupProperties: { locales: 2 } } });
  });

  it('rejects bad payloads with a typed error naming the field, never throwing synchronously', async () => {
    const { t } = setupPipeline();
    const cases: [() => Promise<unknown>, string][] = [
      [() => t.event({ event: '' }), 'event'],
      [() => t.event({} as never), 'event'],
      [() => t.event(null as never), 'payload'],
      [() => t.event({ event: 'x', timestamp: 'yesterday' }), 'timestamp'],
      [() => t.event({ event: 'x', deployment_id: 42 as never }), 'deployment_id'],
      [() => t.event({ event: 'x', id: 'has space' }), 'id'],
      [() => t.crash({ message: '' }), 'message'],
      [() => t.crash({ message: 'x', stack: 5 as never }), 'stack'],
    ];
    for (const [call, field] of cases) {
      let promise: Promise<unknown> | undefined;
      expect(() => (promise = call())).not.toThrow();
      const err = await promise!.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as ValidationError).code).toMatch(/^OPT_ERR_/);
    }
  });

  it('an unhandled rejected promise from a bad payload does not become an unhandled rejection', async () => {
    const { t } = setupPipeline();
    const seen: unknown[] = [];
    const onUnhandled = (r: unknown): void => void seen.push(r);
    process.on('unhandledRejection', onUnhandled);
    void t.event({ event: '' });
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    expect(seen).toEqual([]);
  });

  it('never lets an unsafe scenario touch the file system', async () => {
    const { dir, provider, t, pt } = setupPipeline();
    for (const bad of ['../x', 'a/b', '..', '/etc/passwd', 'a\\b', 'CON', 'nul.txt', '.hidden', 'x'.repeat(129), '%2e%2e']) {
      const err = await t.event({ event: 'e', scenario: bad }).then(() => undefined, (e: unknown) => e);
      expect(err, bad).toBeInstanceOf(ScenarioNameError);
    }
    await provider.forceFlush();
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    expect(existsSync(join(dir, '..', 'x.jsonl'))).toBe(false);
    expect(pt.status().dropped.invalid).toBe(0); // rejected at the API, never emitted
  });

  it('drops crashes outside production, counts them and says so in the ack', async () => {
    const { dir, provider, t, pt } = setupPipeline({ environment: 'development' });
    const ack = await t.crash(new Error('dev crash'));
    expect(ack).toMatchObject({ status: 200, recorded: false });
    expect(ack.reason).toContain('production');
    await t.event({ event: 'still_recorded' });
    await provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl')).map((l) => l.event)).toEqual(['still_recorded']);
    // A crash emitted around the API (e.g. by a bridge) is still stopped by the policy processor and counted.
    provider.getLogger('otel-product-telemetry').emit({ eventName: 'crash', severityNumber: SeverityNumber.FATAL, body: { message: 'x' } });
    await provider.forceFlush();
    expect(pt.status().dropped.crash_outside_production).toBe(1);
    expect(readJsonl(join(dir, 'test-app.jsonl'))).toHaveLength(1);
  });

  it('redacts secrets, the home dir and the user name before writing', async () => {
    const { dir, provider, t } = setupPipeline();
    const payload = { event: 'login', password: 'hunter2', nested: { API_KEY: 'k', list: [{ authToken: 't' }] }, path: `${require('node:os').homedir()}/app/x.js` };
    await t.event(payload);
    await provider.forceFlush();
    const [line] = readJsonl(join(dir, 'test-app.jsonl'));
    expect(line!.details).toEqual({ password: '[REDACTED]', nested: { API_KEY: '[REDACTED]', list: [{ authToken: '[REDACTED]' }] }, path: '~/app/x.js' });
    expect(payload.password).toBe('hunter2'); // the caller's object is not mutated
    expect(payload.nested.API_KEY).toBe('k');
  });

  it('does not write application logs that share the provider', async () => {
    const { dir, provider, t } = setupPipeline();
    provider.getLogger('my-app').emit({ eventName: 'looks_like_an_event', body: { a: 1 } });
    provider.getLogger('my-app').emit({ body: 'plain log line' });
    await t.event({ event: 'real_telemetry' });
    await provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl')).map((l) => l.event)).toEqual(['real_telemetry']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual(['test-app.jsonl']);
  });
});

describe('consent', () => {
  it('is off by default: nothing is emitted or written, and the ack says why', async () => {
    const { dir, provider, t } = setupPipeline({ enabled: undefined });
    const ack = await t.event({ event: 'x' });
    expect(ack).toMatchObject({ status: 200, recorded: false });
    expect(await t.send('x', {})).toBe(false);
    await provider.forceFlush();
    expect(existsSync(join(dir, 'test-app.jsonl'))).toBe(false);
  });

  it.each([
    [{ DO_NOT_TRACK: '1' }, 'DO_NOT_TRACK'],
    [{ DO_NOT_TRACK: 'true' }, 'DO_NOT_TRACK'],
    [{ OTEL_SDK_DISABLED: 'true' }, 'OTEL_SDK_DISABLED'],
  ])('%o forces it off even when enabled and toggled on', async (env, reason) => {
    const dir = tmpDir();
    const { provider, t, pt } = setupPipeline({ dir, env: { TELEMETRY_ENABLED: 'true', ...env } , enabled: undefined });
    pt.setEnabled(true);
    expect(pt.isEnabled()).toBe(false);
    expect(pt.consent.reason).toBe(reason);
    await t.event({ event: 'x' });
    await provider.forceFlush();
    expect(existsSync(join(dir, 'test-app.jsonl'))).toBe(false);
  });

  it('TELEMETRY_ENABLED=true opts in; the code option wins over env', () => {
    expect(setupPipeline({ enabled: undefined, env: { TELEMETRY_ENABLED: 'true' } }).pt.consent.reason).toBe('TELEMETRY_ENABLED');
    expect(setupPipeline({ enabled: false, env: { TELEMETRY_ENABLED: 'true' } }).pt.isEnabled()).toBe(false);
  });

  it('the runtime toggle persists under the dir and survives a restart', async () => {
    const dir = tmpDir();
    const first = setupPipeline({ dir, enabled: undefined });
    expect(first.pt.isEnabled()).toBe(false);
    first.t.setEnabled(true);
    expect(first.t.isEnabled()).toBe(true);
    const second = setupPipeline({ dir, enabled: undefined }); // a new process reading the same dir
    expect(second.pt.isEnabled()).toBe(true);
    expect(second.pt.consent.reason).toBe('toggle');
    await second.t.event({ event: 'after_restart' });
    second.pt.setEnabled(false);
    await second.t.event({ event: 'after_disable' });
    await second.provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl')).map((l) => l.event)).toEqual(['after_restart']);
    expect(setupPipeline({ dir, enabled: undefined }).pt.isEnabled()).toBe(false);
  });
});

describe('API edge cases found by fuzzing', () => {
  it('keeps timestamps before 1998 (the SDK would read small epoch numbers as performance offsets)', async () => {
    const { dir, provider, t } = setupPipeline();
    await t.event({ event: 'old', timestamp: '1990-01-01T00:00:00Z' });
    await t.event({ event: 'epoch', timestamp: 0 });
    await provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl')).map((l) => l.ts)).toEqual(['1990-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z']);
  });

  it('measures the event size limit in UTF-8 bytes', async () => {
    const { dir, provider, t, pt } = setupPipeline({ maxEventBytes: 262_144 });
    await t.event({ event: 'wide', text: 'é'.repeat(200_000) }); // 200k characters, 400k bytes
    await t.event({ event: 'narrow', text: 'e'.repeat(200_000) });
    await provider.forceFlush();
    expect(readJsonl(join(dir, 'test-app.jsonl')).map((l) => l.event)).toEqual(['narrow']);
    expect(pt.status().dropped.too_large).toBe(1);
  });
});
