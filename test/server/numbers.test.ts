import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findInexactNumbers, inexactReason, scanInexactNumbers } from '../../collector/ingest/numbers.js';
import { collector, request, upload } from './setup.js';

function storedLines(dir: string, scenario: string): any[] {
  const file = join(dir, `${scenario}.jsonl`);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

describe('numbers JSON.parse cannot carry exactly', () => {
  it('knows which literals change', () => {
    for (const t of ['1e400', '-1e400', '1e-400', '0.' + '0'.repeat(400) + '1', '12345678901234567890', '-9007199254740993', '9007199254740993.0', '1234567890123456789e1']) expect(inexactReason(t), t).toBeDefined();
    for (const t of ['0', '0e10', '0.0', '1e300', '1e-300', '9007199254740991', '9007199254740992', '1e20', '100000000000000000000', '0.1', '3.141592653589793238462643', '12345678901234567.5', '1700000000000']) expect(inexactReason(t), t).toBeUndefined();
    expect(scanInexactNumbers('[{"a":"1e400","b":[1,{"c":1e400}]}]')).toEqual([{ path: [0, 'b', 1, 'c'], literal: '1e400', reason: expect.any(String) }]);
    expect(scanInexactNumbers('{"k\\"ey":"x\\\\","n":12345678901234567890}')[0]!.path).toEqual(['n']);
    // The value walk decides whether the text is walked at all.
    const check = (t: string): unknown[] => findInexactNumbers(t, JSON.parse(t)).map((n) => n.path);
    expect(check('{"a":[0,1,2],"s":"e-400 1e400 12345678901234567890"}')).toEqual([]);
    expect(check('{"a":[0,1e-400]}')).toEqual([['a', 1]]);
    expect(check(`{"a":[0,0.${'0'.repeat(400)}1]}`)).toEqual([['a', 1]]);
    expect(check('{"a":{"b":-1E+400}}')).toEqual([['a', 'b']]);
    expect(check('[[[12345678901234567890]]]')).toEqual([[0, 0, 0]]);
    expect(check('[1e300, 9007199254740993e0]')).toEqual([[1]]);
  });

  it('refuses 1e400, 1e-400 and 12345678901234567890 per event naming the field; the other events are kept', async () => {
    const c = await collector();
    const r = await upload(
      c,
      `[{"scenario":"num","event":"ok","id":"n-0","details":{"n":1e20,"x":0.5,"hex":"3e400"}},
        {"scenario":"num","event":"big","id":"n-1","details":{"n":1e400}},
        {"scenario":"num","event":"tiny","id":"n-2","details":{"a":[1,1e-400]}},
        {"scenario":"num","event":"long","id":"n-3","count":12345678901234567890},
        {"scenario":"num","event":"ts","id":"n-4","timestamp":1e-400}]`,
      { headers: { 'content-type': 'application/json' } },
    );
    expect(r.status).toBe(200);
    expect(r.body.events_stored).toBe(1);
    expect(r.body.errors.map((e: any) => [e.index, e.code, e.field])).toEqual([
      [1, 'OPT_ERR_VALIDATION', 'details.n'],
      [2, 'OPT_ERR_VALIDATION', 'details.a[1]'],
      [3, 'OPT_ERR_VALIDATION', 'details.count'],
      [4, 'OPT_ERR_VALIDATION', 'timestamp'],
    ]);
    expect(r.body.errors[0].error).toContain('1e400');
    expect(r.body.errors[2].error).toContain('12345678901234567890');
    const lines = storedLines(c.dir, 'num');
    expect(lines.map((l) => l.event)).toEqual(['ok']);
    expect(lines[0].details).toEqual({ n: 1e20, x: 0.5, hex: '3e400' });
  });

  it('refuses them in NDJSON lines, the wrapper and a single object too', async () => {
    const c = await collector();
    const nd = await upload(c, '{"scenario":"num","event":"a","details":{"v":12345678901234567890}}\n{"scenario":"num","event":"b","details":{"v":1234567890123456}}\n', {
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(nd.status).toBe(200);
    expect(nd.body.errors).toEqual([expect.objectContaining({ index: 1, field: 'details.v' })]);
    const one = await upload(c, '{"scenario":"num","event":"c","details":{"v":-1e400}}', { headers: { 'content-type': 'application/json' } });
    expect(one.status).toBe(400);
    expect(one.body.errors).toEqual([expect.objectContaining({ index: 0, field: 'details.v' })]);
    const wrapped = await upload(c, '{"scenario_name":"num","events":[{"event":"d"},{"event":"e","details":{"v":[1e-999]}}]}', { headers: { 'content-type': 'application/json' } });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.errors).toEqual([expect.objectContaining({ index: 1, field: 'details.v[0]' })]);
    const appcd = await request(`${c.url}/appcd/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"x","size":1e400}' });
    expect(appcd.status).toBe(400);
    expect(appcd.body.field).toBe('details.size');
  });

  it('a normal batch is unaffected', async () => {
    const c = await collector();
    const events = Array.from({ length: 50 }, (_, i) => ({ scenario: 'normal', event: 'e', id: `id-${i}-3e4f`, details: { i, f: i / 7, big: 9007199254740991, t: 1.5e10 } }));
    const r = await upload(c, events);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'accepted', events_received: 50, events_stored: 50 });
  });

  it('OTLP/JSON: a record with such a number is rejected naming the field; nanosecond times stay accepted', async () => {
    const c = await collector();
    const kv = (key: string, value: string): string => `{"key":"${key}","value":${value}}`;
    const rec = (name: string, attrs: string[], time = '"1700000000000000000"'): string => `{"timeUnixNano":${time},"eventName":"${name}","attributes":[${attrs.join(',')}]}`;
    const body = `{"resourceLogs":[{"resource":{"attributes":[${kv('service.name', '{"stringValue":"otlpnum"}')}]},"scopeLogs":[{"logRecords":[${[
      rec('good', [kv('n', '{"doubleValue":1.5}')], '1700000000123456789'),
      rec('bad', [kv('n', '{"doubleValue":1e400}')]),
    ].join(',')}]}]}]}`;
    const r = await request(`${c.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(200);
    expect(r.body.partialSuccess.rejectedLogRecords).toBe(1);
    expect(r.body.partialSuccess.errorMessage).toContain('logRecord.attributes[0].value.doubleValue');
    expect(storedLines(c.dir, 'otlpnum').map((l) => l.event)).toEqual(['good']);
  });
});
