import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { runNode, tmpDir, ROOT } from '../helpers.js';
import { setupPipeline } from '../pipeline/setup.js';

function tryMountTinyTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mountPoint = tmpDir('opt-full-');
// Probe once (mount + unmount) so a skipped or filtered run leaves nothing mounted.
const canMount = tryMountTinyTmpfs(mountPoint) && (execFileSync('umount', [mountPoint]), true);
if (!canMount) console.warn('[host-safety] SKIPPED the ENOSPC test: cannot mount a tmpfs here (needs root)');

describe('host safety: the app never pays for telemetry failures', () => {
  it.skipIf(!canMount)('a full disk (64 KiB tmpfs, real ENOSPC): the app finishes its work and exits 0, nothing escapes', async () => {
    expect(tryMountTinyTmpfs(mountPoint)).toBe(true);
    try {
      const r = await runNode(join(ROOT, 'test/safety/full-disk-app.mjs'), {
        nodeArgs: ['--import', 'otel-product-telemetry/register'],
        env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: mountPoint, TELEMETRY_SCENARIO: 'full' },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toEqual({ work: 5000, code: 0 });
      // The disk really filled up: what fit was written, the rest failed.
      expect(statSync(join(mountPoint, 'full.jsonl')).size).toBeGreaterThan(30_000);
    } finally {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    }
  });

  it('a data dir that cannot be used at start: telemetry off (unsafe_dir), nothing thrown', async () => {
    const base = tmpDir();
    const { writeFileSync } = await import('node:fs');
    // a regular file where the data dir should be: it cannot be checked or used, for root too
    writeFileSync(join(base, 'data'), 'not a dir');
    const { t, provider, pt } = setupPipeline({ dir: join(base, 'data') });
    for (let i = 0; i < 3; i++) await expect(t.event({ event: 'x' })).resolves.toMatchObject({ status: 200, recorded: false });
    expect(pt.status()).toMatchObject({ enabled: false, reason: 'unsafe_dir' });
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });

  it('a data dir that breaks after start: records fail quietly, counted in status()', async () => {
    const { rmSync, writeFileSync } = await import('node:fs');
    const dir = join(tmpDir(), 'data');
    mkdirSync(dir, { mode: 0o700 });
    const { t, provider, pt } = setupPipeline({ dir });
    // the dir replaced by a regular file: every open fails (ENOTDIR), for root too
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a dir');
    for (let i = 0; i < 10; i++) await expect(t.event({ event: 'x' })).resolves.toMatchObject({ status: 201 });
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    expect(pt.status().dropped.export_failed).toBe(10);
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });

  it('an extra exporter that throws or never calls back does not disturb the app or the JSONL store', async () => {
    const throwing: LogRecordExporter = { export: () => { throw new Error('bug'); }, forceFlush: async () => {}, shutdown: async () => {} };
    const hanging: LogRecordExporter = { export: () => {}, forceFlush: async () => {}, shutdown: async () => {} };
    const { t, provider, dir, pt } = setupPipeline({ exporters: [throwing, hanging], shutdownTimeoutMs: 20 });
    for (let i = 0; i < 50; i++) await t.event({ event: 'e', i });
    await provider.forceFlush();
    expect(readdirSync(dir)).toContain('test-app.jsonl');
    expect(pt.status().dropped.export_failed).toBe(100);
    await provider.shutdown();
  });

  it('does not block the event loop: delay while a busy app records 200k events stays within a few ms of the same app without telemetry', async () => {
    // The same loop twice, with telemetry off (baseline) and on; other test files load the machine alike for both,
    // so the difference is what recording costs the event loop.
    const measure = async (enabled: boolean) => {
      const { t, provider } = setupPipeline({ enabled });
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      for (let i = 0; i < 200_000; i++) {
        t.event({ event: 'busy', scenario: i % 2 ? 'a-side' : 'b-side', i });
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      await provider.forceFlush();
      h.disable();
      await provider.shutdown();
      return { p50: h.percentile(50) / 1e6, p90: h.percentile(90) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    };
    const base = await measure(false);
    const ours = await measure(true);
    const f = (x: { p50: number; p90: number; p99: number; max: number }) => `p50 ${x.p50.toFixed(1)} ms, p90 ${x.p90.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, max ${x.max.toFixed(1)} ms`;
    console.log(`[host-safety] event-loop delay without telemetry: ${f(base)}; recording: ${f(ours)}`);
    expect(ours.p90).toBeLessThan(base.p90 + 20);
  });
});
