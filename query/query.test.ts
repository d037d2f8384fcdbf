import { describe, expect, it } from 'vitest';
import { levelOfEvent } from './level.js';
import { compileQuery, parseEntry, type LogEntry } from './query.js';
import { parseTimeBound } from './time.js';

const e = (o: Partial<LogEntry> & { event: string }): LogEntry => o;

describe('level rule', () => {
  it('uses the line level first, then the failure-event rule, else info', () => {
    expect(levelOfEvent('app_start', undefined)).toBe('info');
    expect(levelOfEvent('migration_failed', undefined)).toBe('error');
    expect(levelOfEvent('health_check_failed', undefined)).toBe('error');
    for (const ev of ['crash', 'service_crashed', 'dependency_unreachable', 'secrets_missing', 'update_error', 'readiness_timeout']) expect(levelOfEvent(ev, undefined)).toBe('error');
    expect(levelOfEvent('migration_failed', 'warn')).toBe('warn');
    expect(levelOfEvent('app_start', 'WARNING')).toBe('warn');
    expect(levelOfEvent('crash', 'fatal')).toBe('fatal');
    expect(levelOfEvent('app_start', 'something-else')).toBe('info');
  });

  it('--level keeps that level and more severe ones', () => {
    const q = compileQuery({ level: 'warn' });
    expect(q.test(e({ event: 'app_start' }))).toBe(false);
    expect(q.test(e({ event: 'retry', level: 'warn' }))).toBe(true);
    expect(q.test(e({ event: 'update_error' }))).toBe(true);
    expect(q.test(e({ event: 'crash', level: 'fatal' }))).toBe(true);
  });
});

describe('filters', () => {
  it('search looks in the event name and in details keys and values at any depth, not in other fields', () => {
    const q = compileQuery({ search: 'sqlite' });
    expect(q.test(e({ event: 'sqlite_ready' }))).toBe(true);
    expect(q.test(e({ event: 'x', details: { deps: [{ name: 'sqlite' }] } }))).toBe(true);
    expect(q.test(e({ event: 'x', details: { sqlite: 1 } }))).toBe(true);
    expect(q.test(e({ event: 'x', scenario: 'sqlite', deployment_id: 'sqlite' }))).toBe(false);
    expect(q.test(e({ event: 'x', details: { n: 'SQLite' } }))).toBe(false);
    expect(compileQuery({ search: 'sqlite', ignoreCase: true }).test(e({ event: 'x', details: { n: 'SQLite' } }))).toBe(true);
    expect(compileQuery({ search: '42' }).test(e({ event: 'x', details: { n: 1420 } }))).toBe(true);
  });

  it('time bounds are inclusive and exclude lines without a valid ts', () => {
    const since = Date.parse('2025-01-15T12:00:00Z');
    const until = Date.parse('2025-01-15T13:00:00Z');
    const q = compileQuery({ since, until });
    expect(q.test(e({ event: 'a', ts: '2025-01-15T12:00:00Z' }))).toBe(true);
    expect(q.test(e({ event: 'a', ts: '2025-01-15T13:00:00.000Z' }))).toBe(true);
    expect(q.test(e({ event: 'a', ts: '2025-01-15T13:00:00.001Z' }))).toBe(false);
    expect(q.test(e({ event: 'a', ts: '2025-01-15T11:59:59.999Z' }))).toBe(false);
    expect(q.test(e({ event: 'a', ts: 'yesterday' }))).toBe(false);
    expect(q.test(e({ event: 'a' }))).toBe(false);
  });

  it('event names: any of them', () => {
    const q = compileQuery({ events: ['a', 'b'] });
    expect(q.test(e({ event: 'a' }))).toBe(true);
    expect(q.test(e({ event: 'c' }))).toBe(false);
  });

  it('uses a raw-byte prefilter only when JSON cannot have escaped the needle', () => {
    expect(compileQuery({ search: 'migration' }).scanOptions().needle).toBeDefined();
    expect(compileQuery({ search: 'say "hi"' }).scanOptions().needle).toBeUndefined();
    expect(compileQuery({ search: 'a<b' }).scanOptions().needle).toBeUndefined();
    expect(compileQuery({ search: 'ünï' }).scanOptions().needle).toBeUndefined();
    expect(compileQuery({ events: ['app_start'] }).scanOptions().needle).toBeDefined();
    expect(compileQuery({ level: 'error' }).scanOptions().needle).toBeUndefined();
  });

  it('parseEntry says why a line is not an event', () => {
    expect(parseEntry('{"event":"a"}')).toEqual({ event: 'a' });
    expect(parseEntry('{"event":')).toMatch(/invalid JSON/);
    expect(parseEntry('[1]')).toBe('not a JSON object');
    expect(parseEntry('{"ts":"x"}')).toBe('no "event" name');
  });
});

describe('time bounds', () => {
  const now = Date.parse('2025-01-15T12:00:00Z');
  it('accepts ISO times and durations before now', () => {
    expect(parseTimeBound('2h', now)).toBe(now - 7_200_000);
    expect(parseTimeBound('30m', now)).toBe(now - 1_800_000);
    expect(parseTimeBound('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTimeBound('1h30m', now)).toBe(now - 5_400_000);
    expect(parseTimeBound('2025-01-15', now)).toBe(Date.parse('2025-01-15'));
    expect(parseTimeBound('2025-01-15T10:00:00+02:00', now)).toBe(Date.parse('2025-01-15T08:00:00Z'));
    expect(parseTimeBound('now', now)).toBe(now);
  });
  it('rejects anything else', () => {
    for (const bad of ['', '2x', 'yesterday', '-2h', '2', 'h2', '2025-13-45T99:00:00Z']) expect(parseTimeBound(bad, now)).toBeUndefined();
  });
});
