import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { readJsonl, tmpDir } from '../../test/helpers.js';
import { JsonlStore } from './JsonlStore.js';
import type { StoreEvent } from './TelemetryStore.js';
import { buildSummaries } from './scan.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const ev = (over: Partial<StoreEvent> = {}): StoreEvent => ({ scenario: 's', event: 'e', timestamp: T0, ...over });

async function open(options: Partial<ConstructorParameters<typeof JsonlStore>[0]> = {}): Promise<JsonlStore> {
  const store = new JsonlStore({ dir: tmpDir('store-'), ...options });
  await store.open();
  return store;
}

describe('JsonlStore', () => {
  it('writes lines through the pipeline before append resolves, with exact counts', async () => {
    const store = await open();
    const r = await store.append([ev({ event: 'a', deploymentId: 'd1', details: { k: 1 } }), ev({ event: 'b', scenario: 't', severityNumber: SeverityNumber.ERROR })]);
    expect(r).toEqual({ stored: 2, duplicates: 0, dropped: 0, rejections: [] });
    expect(readJsonl(join(store.dir, 's.jsonl'))).toEqual([{ ts: '2025-01-15T12:00:00.000Z', scenario: 's', deployment_id: 'd1', event: 'a', details: { k: 1 }, id: expect.any(String) }]);
    expect(readJsonl(join(store.dir, 't.jsonl'))[0]).toMatchObject({ event: 'b', level: 'error' });
    await store.close();
  });

  it('de-duplicates by id per scenario, within a call and across calls, inside the window', async () => {
    const store = await open({ dedupWindow: 3 });
    let r = await store.append([ev({ id: 'a' }), ev({ id: 'a' }), ev({ id: 'a', scenario: 'other' }), ev({ id: 'b' })]);
    expect(r).toMatchObject({ stored: 3, duplicates: 1 });
    r = await store.append([ev({ id: 'b' }), ev({ id: 'c' }), ev({ id: 'd' })]);
    expect(r).toMatchObject({ stored: 2, duplicates: 1 });
    // Window of 3: the ids remembered are now the newest three (b, c, d); "a" has been forgotten.
    r = await store.append([ev({ id: 'a' }), ev({ id: 'd' })]);
    expect(r).toMatchObject({ stored: 1, duplicates: 1 });
    await store.close();
  });

  it('reports policy drops by index (crash outside production, too large) and the scenario limit', async () => {
    const store = await open({ environment: 'test', maxEventBytes: 300, maxScenarios: 2 });
    const r = await store.append([ev(), ev({ event: 'crash' }), ev({ details: { s: 'x'.repeat(400) } }), ev({ scenario: 'two' }), ev({ scenario: 'three' }), ev()]);
    expect(r.stored).toBe(3);
    expect(r.dropped).toBe(3);
    expect(r.rejections.map((x) => [x.index, x.code])).toEqual([
      [1, 'OPT_ERR_NOT_RECORDED'],
      [2, 'OPT_ERR_EVENT_TOO_LARGE'],
      [4, 'OPT_ERR_SCENARIO_LIMIT'],
    ]);
    expect(readJsonl(join(store.dir, 's.jsonl'))).toHaveLength(2);
    await store.close();
  });

  it('keeps summaries incrementally and rebuilds the same from the files', async () => {
    const store = await open();
    await store.append([ev({ event: 'crash', timestamp: T0 + 1000, details: { m: 1 } }), ev({ event: 'app_start', timestamp: T0 + 5000 }), ev({ event: 'update_error', timestamp: T0 + 2000 })]);
    const live = await store.summaries();
    expect(live).toEqual([
      {
        scenario: 's',
        total_events: 3,
        last_event: '2025-01-15T12:00:05.000Z',
        failure_counts: { crash: 1, update_error: 1 },
        recent_failures: [
          { timestamp: '2025-01-15T12:00:02.000Z', event: 'update_error' },
          { timestamp: '2025-01-15T12:00:01.000Z', event: 'crash', details: { m: 1 } },
        ],
      },
    ]);
    expect(await store.summary('nope')).toBeUndefined();
    await store.close();
    expect(await buildSummaries(store.dir)).toEqual(live);
    const again = new JsonlStore({ dir: store.dir });
    await again.open();
    expect(await again.summaries()).toEqual(live);
    await again.close();
  });

  it('keeps only small details in recent failures (bounded memory), the same after a rebuild', async () => {
    const store = await open({ maxEventBytes: 100_000 });
    await store.append([ev({ event: 'crash', details: { stack: 's'.repeat(10_000) } }), ev({ event: 'crash', timestamp: T0 + 1, details: { m: 1 } })]);
    const [live] = await store.summaries();
    expect(live!.recent_failures.map((f) => f.details)).toEqual([{ m: 1 }, { _truncated: true, _chars: 10_012 }]);
    await store.close();
    expect(await buildSummaries(store.dir)).toEqual([live]);
  });

  it('queries stored lines with filters and a limit', async () => {
    const store = await open();
    await store.append([ev({ event: 'a', timestamp: T0 }), ev({ event: 'b', timestamp: T0 + 1000 }), ev({ event: 'a', timestamp: T0 + 2000 }), ev({ event: 'a', timestamp: T0 + 3000 })]);
    const all = [];
    for await (const l of store.query({ scenario: 's' })) all.push(l.event);
    expect(all).toEqual(['a', 'b', 'a', 'a']);
    const some = [];
    for await (const l of store.query({ scenario: 's', event: 'a', since: T0 + 1000, limit: 1 })) some.push(l.ts);
    expect(some).toEqual(['2025-01-15T12:00:02.000Z']);
    const none = [];
    for await (const l of store.query({ scenario: '../x' })) none.push(l);
    expect(none).toEqual([]);
    await store.close();
  });

  it('fails the append (nothing acknowledged) when the files cannot be written', async () => {
    const store = await open();
    // A directory where the file should be: the open fails for every user, root included.
    mkdirSync(join(store.dir, 's.jsonl'), { recursive: true });
    await expect(store.append([ev({ id: 'kept-for-retry' })])).rejects.toMatchObject({ code: 'OPT_ERR_STORE' });
    expect(await store.summaries()).toEqual([]);
    // Other scenarios still work, and the failed id was not remembered, so a retry elsewhere is not a duplicate.
    expect(await store.append([ev({ scenario: 'fine', id: 'kept-for-retry' })])).toMatchObject({ stored: 1, duplicates: 0 });
    await store.close();
  });

  it('keeps exact counts when the batch flushes inside one append (over 4 MiB of lines, crash records)', async () => {
    const store = await open({ maxEventBytes: 1024 * 1024 });
    const big = 'x'.repeat(100 * 1024);
    const events = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? ev({ event: 'crash', severityNumber: SeverityNumber.FATAL, id: `c${i}`, timestamp: T0 + i }) : ev({ details: { big }, id: `e${i}`, timestamp: T0 + i })));
    events.push(ev({ id: 'e0' }), ev({ id: 'c3' }));
    const r = await store.append(events);
    expect(r).toEqual({ stored: 60, duplicates: 2, dropped: 0, rejections: [] });
    const lines = readJsonl(join(store.dir, 's.jsonl'));
    expect(lines.map((l) => l.id)).toEqual(events.slice(0, 60).map((e) => e.id));
    const [summary] = await store.summaries();
    expect(summary!.total_events).toBe(60);
    expect(summary!.failure_counts).toEqual({ crash: 9 });
    await store.close();
  });

  it('refuses appends after close', async () => {
    const store = await open();
    await store.close();
    await store.close();
    await expect(store.append([ev()])).rejects.toMatchObject({ code: 'OPT_ERR_STORE' });
  });
});

describe('buildSummaries', () => {
  it('counts rotated segments ({scenario}.jsonl.{N}) with the active file and ignores other names and symlinks', async () => {
    const { writeFileSync, symlinkSync } = await import('node:fs');
    const dir = tmpDir('segments-');
    writeFileSync(join(dir, 'a.jsonl.1700000000000'), '{"ts":"2025-01-15T12:00:00.000Z","scenario":"a","event":"crash","id":"1"}\n');
    writeFileSync(join(dir, 'a.jsonl'), '{"ts":"2025-01-15T12:00:01.000Z","scenario":"a","event":"app_start","id":"2"}\n');
    writeFileSync(join(dir, 'a.jsonl.bak'), '{"ts":"2025-01-15T12:00:01.000Z","scenario":"a","event":"app_start","id":"3"}\n');
    writeFileSync(join(dir, 'outside.txt'), '{"event":"x"}\n');
    symlinkSync(join(dir, 'outside.txt'), join(dir, 'link.jsonl'));
    const all = await buildSummaries(dir);
    expect(all.map((s) => [s.scenario, s.total_events])).toEqual([['a', 2]]);
    expect(all[0]!.failure_counts).toEqual({ crash: 1 });
  });
});
