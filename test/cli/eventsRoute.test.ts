import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector, type Collector } from '../../collector/index.js';
import { tmpDir } from '../helpers.js';
import { line } from './cliProcess.js';

// The collector route behind `logs --url`, in-process over real HTTP.
let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

const ev = (i: number, event = 'tick'): string => line({ ts: new Date(Date.UTC(2025, 0, 15, 12, 0, i)).toISOString(), event, id: `e${i}` }) + '\n';

describe('GET /api/v1/telemetry/{scenario}/events', () => {
  it('streams NDJSON with the filters applied, answers coded errors for bad parameters and unknown scenarios', async () => {
    const dir = tmpDir('opt-route-');
    appendFileSync(join(dir, 's.jsonl'), ev(1) + ev(2, 'migration_failed') + '{"torn\n' + ev(3));
    collector = await startCollector({ port: 0, dir });
    const get = (q: string) => fetch(`${collector!.url}/api/v1/telemetry/s/events${q}`);
    const all = await get('');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(await all.text()).toBe(ev(1) + ev(2, 'migration_failed') + ev(3));
    expect(await (await get('?level=error')).text()).toBe(ev(2, 'migration_failed'));
    expect(await (await get('?tail=1')).text()).toBe(ev(3));
    expect(await (await get('?event=tick&limit=1')).text()).toBe(ev(1));
    expect(await (await get('?since=2025-01-15T12:00:02Z&until=2025-01-15T12:00:02Z')).text()).toBe(ev(2, 'migration_failed'));

    for (const [q, field] of [['?level=loud', 'level'], ['?since=soon', 'since'], ['?limit=0', 'limit'], ['?limit=1&tail=1', 'tail'], ['?follow=maybe', 'follow']] as const) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(await r.json(), q).toMatchObject({ status: 'error', code: 'OPT_ERR_QUERY', field });
    }
    const missing = await fetch(`${collector.url}/api/v1/telemetry/nope/events`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'OPT_ERR_NOT_FOUND', field: 'scenario' });
    expect((await fetch(`${collector.url}/api/v1/telemetry/..%2Fx/events`)).status).toBe(400);
  });

  it('follow=true keeps streaming appended lines and ends when the collector closes', async () => {
    const dir = tmpDir('opt-route-follow-');
    const file = join(dir, 's.jsonl');
    appendFileSync(file, ev(1));
    collector = await startCollector({ port: 0, dir, authToken: 'route-token-1' });
    expect((await fetch(`${collector.url}/api/v1/telemetry/s/events`)).status).toBe(401);
    const res = await fetch(`${collector.url}/api/v1/telemetry/s/events?follow=true`, { headers: { authorization: 'Bearer route-token-1' } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string): Promise<void> => {
      for (let i = 0; i < 200 && !text.includes(needle); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil('"e1"');
    appendFileSync(file, ev(2));
    await readUntil('"e2"');
    expect(text).toBe(ev(1) + ev(2));
    const closing = collector.close();
    let ended = false;
    for (let i = 0; i < 200 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    await closing;
    collector = undefined;
  });
});
