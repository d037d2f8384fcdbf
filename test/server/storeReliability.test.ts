import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Collector } from '../../collector/index.js';
import { StoreError } from '../../core/errors.js';
import type { JsonlStore } from '../../collector/stores/JsonlStore.js';
import { tmpDir } from '../helpers.js';
import { collector, request, stop, upload } from './setup.js';

const ROOT = join(import.meta.dirname, '..', '..');

function ids(dir: string, scenario: string): string[] {
  const path = join(dir, `${scenario}.jsonl`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l).id as string);
}

async function summaries(c: Collector): Promise<unknown> {
  return (await request(`${c.url}/api/v1/telemetry`)).body;
}

/** Two scenarios in one upload: 3 events of `a`, 2 of `b`, each with an id. */
function twoScenarios(): Record<string, unknown>[] {
  return [
    { scenario: 'a', event: 'app_start', id: 'a-1' },
    { scenario: 'b', event: 'app_start', id: 'b-1' },
    { scenario: 'a', event: 'migration_failed', id: 'a-2', details: { n: 2 } },
    { scenario: 'a', event: 'app_start', id: 'a-3' },
    { scenario: 'b', event: 'migration_failed', id: 'b-2' },
  ];
}

async function expectStoredOnceAndSummariesAgree(c: Collector, dir: string): Promise<void> {
  expect(ids(dir, 'a')).toEqual(['a-1', 'a-2', 'a-3']);
  expect(ids(dir, 'b')).toEqual(['b-1', 'b-2']);
  const live = await summaries(c);
  expect(live).toMatchObject({ total_scenarios: 2, scenarios: [{ scenario: 'a', total_events: 3 }, { scenario: 'b', total_events: 2 }] });
  await stop(c);
  const again = await collector({ dir });
  expect(await summaries(again)).toEqual(live);
}

describe('all or nothing per request (JSONL store)', () => {
  it('a target file that cannot be opened fails the request before the first line is written', async () => {
    const dir = tmpDir('partial-');
    // A directory where b's file would be: opening it for writing fails (EISDIR), even as root.
    mkdirSync(join(dir, 'b.jsonl'));
    const c = await collector({ dir });
    const first = await upload(c, twoScenarios());
    expect(first.status).toBe(503);
    expect(ids(dir, 'a')).toEqual([]); // nothing of `a` was written either
    expect((await summaries(c)) as object).toMatchObject({ total_scenarios: 0 });

    rmSync(join(dir, 'b.jsonl'), { recursive: true });
    const retry = await upload(c, twoScenarios());
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ events_received: 5, events_stored: 5 });
    expect(retry.body.events_duplicate).toBeUndefined();
    await expectStoredOnceAndSummariesAgree(c, dir);
  });

  it('a planted symlink is refused the same way (O_NOFOLLOW), nothing written', async () => {
    const dir = tmpDir('partial-');
    const outside = tmpDir('outside-');
    symlinkSync(join(outside, 'stolen.jsonl'), join(dir, 'b.jsonl'));
    const c = await collector({ dir });
    expect((await upload(c, twoScenarios())).status).toBe(503);
    expect(ids(dir, 'a')).toEqual([]);
    expect(existsSync(join(outside, 'stolen.jsonl'))).toBe(false);
    expect(readlinkSync(join(dir, 'b.jsonl'))).toBe(join(outside, 'stolen.jsonl'));
  });

  it('a write that fails after another scenario was written: what was written is counted, and the retry stores each id once', async () => {
    const dir = tmpDir('partial-');
    const c = await collector({ dir });
    // The files open fine; the write of b then fails (as ENOSPC or EIO would), after a's lines are in a.jsonl.
    const writer = (c.store as JsonlStore)['writer'];
    const write = writer.write.bind(writer);
    let failB = true;
    writer.write = (scenario, chunks, done) => {
      if (scenario === 'b' && failB) {
        failB = false;
        done(new StoreError('ENOSPC: no space left on device (simulated)'));
        return;
      }
      write(scenario, chunks, done);
    };
    const first = await upload(c, twoScenarios());
    expect(first.status).toBe(503);
    expect(ids(dir, 'a')).toEqual(['a-1', 'a-2', 'a-3']);
    expect(ids(dir, 'b')).toEqual([]);
    // The written lines are in the live summary already, as they will be after a restart.
    expect(await summaries(c)).toMatchObject({ total_scenarios: 1, scenarios: [{ scenario: 'a', total_events: 3, failure_counts: { migration_failed: 1 } }] });

    const retry = await upload(c, twoScenarios());
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ events_received: 5, events_stored: 2, events_duplicate: 3 });
    await expectStoredOnceAndSummariesAgree(c, dir);
  });
});

describe('scenario names differing only by case', () => {
  it('are stored in the file of the first spelling; lines keep their own scenario; counted and de-duplicated together', async () => {
    const dir = tmpDir('case-');
    const c = await collector({ dir });
    expect((await upload(c, [{ scenario: 'Shop', event: 'app_start', id: 'x-1' }])).body.events_stored).toBe(1);
    const res = await upload(c, [
      { scenario: 'shop', event: 'app_start', id: 'x-2' },
      { scenario: 'SHOP', event: 'app_start', id: 'x-1' }, // the same id as stored under `Shop`: a duplicate
      { scenario: 'Shop', event: 'migration_failed', id: 'x-3' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ events_stored: 2, events_duplicate: 1 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual(['Shop.jsonl']);
    const lines = readFileSync(join(dir, 'Shop.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.scenario, l.id])).toEqual([['Shop', 'x-1'], ['shop', 'x-2'], ['Shop', 'x-3']]);
    const live = await summaries(c);
    expect(live).toMatchObject({ total_scenarios: 1, scenarios: [{ scenario: 'Shop', total_events: 3, failure_counts: { migration_failed: 1 } }] });
    const events = await request(`${c.url}/api/v1/telemetry/Shop/events`);
    expect(events.text.trim().split('\n')).toHaveLength(3);

    await stop(c);
    const again = await collector({ dir });
    expect(await summaries(again)).toEqual(live);
    // After a restart the first spelling still wins, and its ids still de-duplicate other spellings.
    const after = await upload(again, [{ scenario: 'sHoP', event: 'app_start', id: 'x-2' }, { scenario: 'sHoP', event: 'app_start', id: 'x-4' }]);
    expect(after.body).toMatchObject({ events_stored: 1, events_duplicate: 1 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual(['Shop.jsonl']);
  });
});

/** Open descriptors of a process (Linux /proc). */
function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe.skipIf(process.platform !== 'linux')('open store files are capped (TELEMETRY_MAX_OPEN_FILES)', () => {
  it('a collector under ulimit -n 256 stores uploads to 1,000 scenarios, with open fds under the cap', async () => {
    const dir = tmpDir('fds-');
    const script = `
      const { startCollector } = await import(${JSON.stringify(join(ROOT, 'collector/index.ts'))});
      const c = await startCollector({ port: 0, host: '127.0.0.1', dir: ${JSON.stringify(dir)}, env: { TELEMETRY_MAX_OPEN_FILES: '100' } });
      process.stdout.write(c.url + '\\n');
      process.on('SIGTERM', () => c.close().then(() => process.exit(0)));
    `;
    const child = spawn('bash', ['-c', 'ulimit -n 256 && exec node --import tsx --input-type=module -e "$0"', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`collector exited (${code}): ${stderr}`)));
      });
      expect(readFileSync(`/proc/${child.pid}/limits`, 'utf8')).toMatch(/Max open files\s+256\s/);
      const base = fdCount(child.pid!);
      let ok = 0;
      let maxFds = 0;
      for (let round = 0; round < 2; round++) {
        // Ten requests at a time, each to ten fresh (then, in round two, already existing) scenarios.
        for (let start = 0; start < 1000; start += 100) {
          const answers = await Promise.all(
            Array.from({ length: 10 }, (_, r) => {
              const events = Array.from({ length: 10 }, (_, k) => ({ scenario: `s${start + r * 10 + k}`, event: 'app_start', id: `${round}-${start + r * 10 + k}` }));
              return upload({ url } as Collector, events).catch(() => undefined); // a refused connection is a failure too
            }),
          );
          for (const a of answers) if (a?.status === 200 && a.body.events_stored === 10) ok++;
          maxFds = Math.max(maxFds, fdCount(child.pid!));
        }
      }
      expect(ok).toBe(200);
      expect(maxFds).toBeLessThanOrEqual(base + 100 + 20);
      expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toHaveLength(1000);
      expect(readFileSync(join(dir, 's999.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
      const sum = await request(`${url}/api/v1/telemetry`);
      expect(sum.body.total_scenarios).toBe(1000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  }, 60_000);
});
