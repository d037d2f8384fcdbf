import { describe, expect, it } from 'vitest';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { REDACTED } from './redact.js';
import { DEFAULT_REDACT_KEYS, RedactionProcessor, type RedactionProcessorOptions } from './RedactionProcessor.js';

const HOME = '/home/alice';
const USER = 'alice';

function setup(options: Omit<RedactionProcessorOptions, 'next'> = {}) {
  const passed = new InMemoryLogRecordExporter();
  const redaction = new RedactionProcessor({ next: new SimpleLogRecordProcessor({ exporter: passed }), home: HOME, user: USER, ...options });
  const provider = new LoggerProvider({ processors: [redaction] });
  const records = () => passed.getFinishedLogRecords();
  return { redaction, provider, logger: provider.getLogger(TELEMETRY_SCOPE), records };
}

describe('RedactionProcessor (real LoggerProvider)', () => {
  it('redacts values under secret keys at any depth, case-insensitively, in the body and attributes', async () => {
    const { logger, provider, records } = setup();
    logger.emit({
      eventName: 'login',
      body: {
        Password: 'hunter2',
        user: { profile: { EMAIL: 'a@example.com', name: 'Al' }, sessions: [{ authToken: 't1' }, { ok: 1 }] },
        headers: { Authorization: 'Bearer xyz', 'x-API_KEY-id': 'k' },
        count: 3,
      },
      attributes: { 'http.request.header.cookie': 'sid=1', 'db.secret_name': 'prod', plain: 'kept' },
    });
    await provider.forceFlush();
    const [r] = records();
    expect(r!.body).toEqual({
      Password: REDACTED,
      user: { profile: { EMAIL: REDACTED, name: 'Al' }, sessions: [{ authToken: REDACTED }, { ok: 1 }] },
      headers: { Authorization: REDACTED, 'x-API_KEY-id': REDACTED },
      count: 3,
    });
    expect(r!.attributes).toMatchObject({ 'http.request.header.cookie': REDACTED, 'db.secret_name': REDACTED, plain: 'kept' });
    expect(JSON.stringify([r!.body, r!.attributes])).not.toMatch(/hunter2|a@example\.com|Bearer|sid=1|t1/);
  });

  it('the default keys are the documented list; custom keys replace them', async () => {
    expect(DEFAULT_REDACT_KEYS).toEqual(['password', 'secret', 'token', 'authorization', 'cookie', 'api_key', 'email']);
    const { logger, provider, records } = setup({ keys: ['licence'] });
    logger.emit({ eventName: 'x', body: { LicenceKey: 'L-1', password: 'not-a-key-now' } });
    await provider.forceFlush();
    expect(records()[0]!.body).toEqual({ LicenceKey: REDACTED, password: 'not-a-key-now' });
  });

  it('replaces the home dir and the user name inside strings (stack traces), in the body and attributes', async () => {
    const { logger, provider, records } = setup();
    logger.emit({
      eventName: 'crash',
      body: { stack: `Error: x\n    at run (${HOME}/work/app.js:1:2)`, who: 'run by alice today', word: 'malicework' },
      attributes: { 'exception.stacktrace': `at ${HOME}/src/index.ts:3` },
    });
    await provider.forceFlush();
    const [r] = records();
    expect(r!.body).toEqual({ stack: 'Error: x\n    at run (~/work/app.js:1:2)', who: 'run by <user> today', word: 'malicework' });
    expect(r!.attributes['exception.stacktrace']).toBe('at ~/src/index.ts:3');
  });

  it('never mutates the caller\'s objects (copy on write) and shares what did not change', async () => {
    const { logger, provider, records } = setup();
    const untouched = { a: 1, b: ['x'] };
    const body = { nested: { token: 'secret-value', path: `${HOME}/f` }, untouched, list: [{ password: 'p' }] };
    const before = structuredClone(body);
    logger.emit({ eventName: 'e', body });
    await provider.forceFlush();
    expect(body).toEqual(before);
    const out = records()[0]!.body as typeof body;
    expect(out).not.toBe(body);
    expect(out.nested).toEqual({ token: REDACTED, path: '~/f' });
    expect(out.untouched).toBe(untouched);
  });

  it('a body with nothing to redact is passed on as the same object', async () => {
    const { logger, provider, records } = setup();
    const body = { a: 1, b: { c: 'plain' } };
    logger.emit({ eventName: 'e', body });
    await provider.forceFlush();
    expect(records()[0]!.body).toBe(body);
  });

  it('leaves other scopes alone (but passes them on) unless allScopes is set', async () => {
    const narrow = setup();
    narrow.provider.getLogger('my-app').emit({ eventName: 'app', body: { password: 'p' } });
    await narrow.provider.forceFlush();
    expect(narrow.records()[0]!.body).toEqual({ password: 'p' });

    const wide = setup({ allScopes: true });
    wide.provider.getLogger('my-app').emit({ eventName: 'app', body: { password: 'p' } });
    await wide.provider.forceFlush();
    expect(wide.records()[0]!.body).toEqual({ password: REDACTED });
  });

  it('keeps a "__proto__" key as plain data when copying', async () => {
    const { logger, provider, records } = setup();
    const body = JSON.parse('{"__proto__":{"token":"t"},"x":1}') as Record<string, unknown>;
    logger.emit({ eventName: 'e', body: body as never });
    await provider.forceFlush();
    const out = records()[0]!.body as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ token: REDACTED });
  });

  it('drops a record whose body cannot be read (throwing getter or proxy), counts it, never throws into the host', async () => {
    const { redaction, logger, provider, records } = setup();
    const getter = {};
    Object.defineProperty(getter, 'x', { enumerable: true, get: () => { throw new Error('no'); } });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    expect(() => logger.emit({ eventName: 'getter', body: getter as never })).not.toThrow();
    expect(() => logger.emit({ eventName: 'proxy', body: proxy as never })).not.toThrow();
    logger.emit({ eventName: 'fine', body: { a: 1 } });
    await provider.forceFlush();
    expect(records().map((r) => r.eventName)).toEqual(['fine']);
    expect(redaction.unreadable).toBe(2);
  });
});
