import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readJsonl } from '../helpers.js';
import { STORE_ID_HEADER, storeIdOf } from '../../core/storeId.js';
import { collector, request, stop } from './setup.js';

const CREATED = { status: 201, message: 'Created', fin: true, statusCode: '201' };

describe('appcd-compatible routes', () => {
  it('POST /appcd/telemetry stores the event with any other data in details and answers appcd\'s 201', async () => {
    const c = await collector({ scenario: 'appcd-default' });
    const res = await request(`${c.url}/appcd/telemetry`, { json: { event: 'some.event', app: '<GUID>', someData: 'foo', favoriteFruit: 'banana' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(CREATED);
    expect(res.text).toBe(JSON.stringify(CREATED));
    const [line] = readJsonl(join(c.dir, 'appcd-default.jsonl'));
    expect(line).toMatchObject({ scenario: 'appcd-default', event: 'some.event', details: { app: '<GUID>', someData: 'foo', favoriteFruit: 'banana' } });
    const own = await request(`${c.url}/appcd/telemetry`, { json: { event: 'x', scenario: 'chosen' } });
    expect(own.status).toBe(201);
    expect(readJsonl(join(c.dir, 'chosen.jsonl'))).toHaveLength(1);
  });

  it('POST /appcd/telemetry/crash stores a fatal crash in production (the default)', async () => {
    const c = await collector();
    const res = await request(`${c.url}/appcd/telemetry/crash`, { json: { message: 'SyntaxError: Unexpected token', app: '<GUID>', stack: 'at x', someData: 'foo' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(CREATED);
    const [line] = readJsonl(join(c.dir, 'default.jsonl'));
    expect(line).toMatchObject({ event: 'crash', level: 'fatal', details: { message: 'SyntaxError: Unexpected token', app: '<GUID>', stack: 'at x', someData: 'foo' } });
  });

  it('does not record a crash outside production and answers so the caller can tell', async () => {
    const c = await collector({ environment: 'development' });
    const res = await request(`${c.url}/appcd/telemetry/crash`, { json: { message: 'boom' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-telemetry-recorded')).toBe('false');
    expect(res.body).toMatchObject({ status: 200, message: 'Not Recorded', fin: true, statusCode: '200', recorded: false });
    expect(res.body.reason).toContain('TELEMETRY_ENVIRONMENT=production');
    expect(readJsonl(join(c.dir, 'default.jsonl'))).toHaveLength(0);
    // Usage events are still recorded there.
    expect((await request(`${c.url}/appcd/telemetry`, { json: { event: 'fine' } })).status).toBe(201);
  });

  it('answers coded 400/415 errors for bad payloads', async () => {
    const c = await collector();
    const noEvent = await request(`${c.url}/appcd/telemetry`, { json: { app: 'x' } });
    expect(noEvent.status).toBe(400);
    expect(noEvent.body).toMatchObject({ status: 'error', code: 'OPT_ERR_VALIDATION', field: 'event' });
    const noMessage = await request(`${c.url}/appcd/telemetry/crash`, { json: { stack: 'x' } });
    expect(noMessage.status).toBe(400);
    expect(noMessage.body.field).toBe('message');
    const array = await request(`${c.url}/appcd/telemetry`, { json: [{ event: 'x' }] });
    expect(array.status).toBe(400);
    const text = await request(`${c.url}/appcd/telemetry`, { method: 'POST', body: '{"event":"x"}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('go through the upload route\'s ingest: refusals counted by code, a number JSON cannot carry refused naming its field, the own-store check', async () => {
    const c = await collector();
    expect((await request(`${c.url}/appcd/telemetry`, { json: { event: 'ok', id: 'appcd-1' } })).status).toBe(201);
    // Sent again (a client's retry): already stored, still 201, stored once.
    expect((await request(`${c.url}/appcd/telemetry`, { json: { event: 'ok', id: 'appcd-1' } })).status).toBe(201);
    expect(readJsonl(join(c.dir, 'default.jsonl')).map((l) => l.id)).toEqual(['appcd-1']);
    expect((await request(`${c.url}/appcd/telemetry`, { json: { app: 'x' } })).status).toBe(400);
    const inexact = await request(`${c.url}/appcd/telemetry/crash`, { method: 'POST', body: '{"message":"m","n":12345678901234567890}', headers: { 'content-type': 'application/json' } });
    expect(inexact.status).toBe(400);
    expect(inexact.body).toMatchObject({ code: 'OPT_ERR_VALIDATION', field: 'details.n' });
    const own = await request(`${c.url}/appcd/telemetry`, { json: { event: 'loop' }, headers: { [STORE_ID_HEADER]: storeIdOf(c.dir)! } });
    expect(own.status).toBe(409);
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    const refused = metrics.split('\n').find((l) => l.startsWith('product_telemetry_collector_events_total{') && l.includes('outcome="refused"') && l.includes('reason="OPT_ERR_VALIDATION"'));
    expect(refused?.split(' ').pop()).toBe('2');
    expect(readJsonl(join(c.dir, 'default.jsonl'))).toHaveLength(1);
    await stop(c);
  });
});
