import { describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { toStoreEvent } from './validate.js';
import { parseJsonUpload, parseNdjsonUpload } from './parse.js';

const LIMITS = { maxDepth: 4, maxKeys: 20, maxClockSkewMs: 60_000 };
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

describe('toStoreEvent', () => {
  it('maps the upload fields and fills the defaults', () => {
    expect(toStoreEvent({ scenario: 's', event: 'e', deployment_id: 'd', timestamp: '2025-01-15T11:00:00.5Z', details: { a: 1 }, id: 'x-1', level: 'ERROR' }, {}, LIMITS, NOW)).toEqual({
      scenario: 's',
      event: 'e',
      timestamp: NOW - 3_600_000 + 500,
      deploymentId: 'd',
      id: 'x-1',
      severityNumber: SeverityNumber.ERROR,
      details: { a: 1 },
    });
    expect(toStoreEvent({ event: 'e' }, { scenario: 'def', deploymentId: 'dd' }, LIMITS, NOW)).toEqual({ scenario: 'def', event: 'e', timestamp: NOW, deploymentId: 'dd' });
    expect(toStoreEvent({ event: 'e', ts: '2025-01-15T11:59:00.000Z' }, { scenario: 's' }, LIMITS, NOW).timestamp).toBe(NOW - 60_000);
    expect(toStoreEvent({ event: 'e', timestamp: NOW - 5 }, { scenario: 's' }, LIMITS, NOW).timestamp).toBe(NOW - 5);
  });

  it('takes installation_id top-level (not into details), with the id rules', () => {
    const inst = '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3';
    expect(toStoreEvent({ event: 'e', installation_id: inst, id: 'i' }, { scenario: 's' }, LIMITS, NOW)).toEqual({ scenario: 's', event: 'e', timestamp: NOW, installationId: inst, id: 'i' });
    expect(toStoreEvent({ event: 'e', installation_id: null }, { scenario: 's' }, LIMITS, NOW)).not.toHaveProperty('installationId');
    for (const bad of ['', 'has space', 'x'.repeat(129), '-lead', 7, { a: 1 }, ['x']]) {
      expect(() => toStoreEvent({ event: 'e', installation_id: bad }, { scenario: 's' }, LIMITS, NOW), String(bad)).toThrow(expect.objectContaining({ field: 'installation_id' }));
    }
  });

  it('keeps unknown fields in details (details keys win) and adds wrapper details', () => {
    const e = toStoreEvent({ scenario: 's', event: 'e', extra: 1, dup: 'top', details: { dup: 'inner' } }, { details: { source: 'w', extra: 'w' } }, LIMITS, NOW);
    expect(e.details).toEqual({ source: 'w', extra: 1, dup: 'inner' });
  });

  it('names the offending field', () => {
    const f = (raw: unknown): string => {
      try {
        toStoreEvent(raw, { scenario: 's' }, LIMITS, NOW);
        return 'accepted';
      } catch (err) {
        return (err as { field: string }).field;
      }
    };
    expect(f(null)).toBe('event');
    expect(f({})).toBe('event');
    expect(f({ event: 'x'.repeat(257) })).toBe('event');
    expect(f({ event: 'e', scenario: 'a/b' })).toBe('scenario');
    expect(f({ event: 'e', deployment_id: 7 })).toBe('deployment_id');
    expect(f({ event: 'e', id: 'has space' })).toBe('id');
    expect(f({ event: 'e', level: 'loud' })).toBe('level');
    expect(f({ event: 'e', timestamp: '2025-13-45T00:00:00Z' })).toBe('timestamp');
    expect(f({ event: 'e', timestamp: '1969-12-31T23:59:59Z' })).toBe('timestamp');
    expect(f({ event: 'e', timestamp: new Date(NOW + 120_000).toISOString() })).toBe('timestamp');
    expect(f({ event: 'e', details: [1] })).toBe('details');
    expect(f({ event: 'e', details: { a: { b: { c: { d: {} } } } } })).toBe('details.a.b.c.d');
    expect(f({ event: 'e', details: { list: Array.from({ length: 30 }, (_, i) => i) } })).toBe('details.list[19]');
    expect(f(JSON.parse('{"event":"e","details":{"__proto__":{"x":1}}}'))).toBe('details.__proto__');
    expect(f(JSON.parse('{"event":"e","constructor":{"x":1}}'))).toBe('constructor');
    expect(f({ event: 'e', details: { a: { b: 1 } } })).toBe('accepted');
  });
});

describe('upload parsing', () => {
  it('parses arrays, wrappers and single objects; refuses other JSON with a position', () => {
    expect(parseJsonUpload('[{"event":"a"}]', 10, {}).items).toEqual([{ event: 'a' }]);
    const w = parseJsonUpload('{"events":[{"event":"a"}],"scenario_name":"w","deployment_mode":"m","source":"s","deployment_id":"d"}', 10, { scenario: 'q' });
    expect(w.defaults).toEqual({ scenario: 'w', deploymentId: 'd', details: { deployment_mode: 'm', source: 's' } });
    expect(parseJsonUpload('{"event":"one"}', 10, {}).items).toEqual([{ event: 'one' }]);
    expect(() => parseJsonUpload('42', 10, {})).toThrow(/expected a JSON array/);
    expect(() => parseJsonUpload('[1,', 10, {})).toThrow(expect.objectContaining({ code: 'OPT_ERR_PARSE', position: 3 }));
    expect(() => parseJsonUpload('[1,2,3]', 2, {})).toThrow(expect.objectContaining({ statusCode: 413 }));
  });

  it('parses NDJSON with line numbers, CRLF and blank lines', () => {
    const p = parseNdjsonUpload('{"event":"a"}\r\n\n  \n{oops}\n{"event":"b"}', 10, {});
    expect(p.items).toEqual([{ event: 'a' }, { event: 'b' }]);
    expect(p.lines).toEqual([1, 5]);
    expect(p.errors).toEqual([expect.objectContaining({ index: 4, code: 'OPT_ERR_PARSE' })]);
    expect(() => parseNdjsonUpload('{}\n{}\n{}', 2, {})).toThrow(expect.objectContaining({ code: 'OPT_ERR_TOO_MANY_EVENTS' }));
  });
});
