import { describe, expect, it } from 'vitest';
import { RouteTable, type Route } from './router.js';

const route = (method: Route['method'], path: string): Route => ({ method, path, handle: () => undefined });

describe('RouteTable', () => {
  const upload = route('POST', '/api/v1/telemetry/upload');
  const one = route('GET', '/api/v1/telemetry/:scenario');
  const all = route('GET', '/api/v1/telemetry');
  const table = new RouteTable([upload, one, all]);

  it('matches exact paths, then parameterised ones, decoding params', () => {
    expect(table.match('POST', '/api/v1/telemetry/upload')).toEqual({ kind: 'found', route: upload, params: {} });
    expect(table.match('GET', '/api/v1/telemetry')).toMatchObject({ kind: 'found', route: all });
    const m = table.match('GET', '/api/v1/telemetry/a%20b');
    expect(m).toMatchObject({ kind: 'found', route: one });
    expect(m.kind === 'found' && m.params.scenario).toBe('a b');
    // A route's own segment is never a parameter: GET on the upload route's path is 405, not a scenario "upload".
    expect(table.match('GET', '/api/v1/telemetry/upload')).toEqual({ kind: 'method', allow: ['POST'] });
  });

  it('tells 404 from 405 and bad encodings', () => {
    expect(table.match('GET', '/nope')).toEqual({ kind: 'none' });
    expect(table.match('DELETE', '/api/v1/telemetry/upload')).toEqual({ kind: 'method', allow: ['POST'] });
    expect(table.match('GET', '/api/v1/telemetry/%E0%A4%A')).toEqual({ kind: 'bad-path' });
    expect(() => table.add(route('POST', '/api/v1/telemetry/upload'))).toThrow(/duplicate/);
  });

  it('refuses reserved route segments as parameter values, raw or percent-encoded', () => {
    const events = route('GET', '/api/v1/telemetry/:scenario/events');
    const t = new RouteTable([upload, one, all, events]);
    expect(t.match('GET', '/api/v1/telemetry/upload/events')).toEqual({ kind: 'reserved', param: 'scenario', value: 'upload' });
    expect(t.match('GET', '/api/v1/telemetry/%75pload')).toEqual({ kind: 'reserved', param: 'scenario', value: 'upload' });
    expect(t.match('GET', '/api/v1/telemetry/uploads/events')).toMatchObject({ kind: 'found', route: events, params: { scenario: 'uploads' } });
  });
});
