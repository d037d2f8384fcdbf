import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SERVE_ARGS, cleanEnv, readJsonl, tmpDir } from '../helpers.js';



describe('collector process (the CLI\'s serve)', () => {
  it('prints its address and data dir, and SIGTERM during a stream of uploads loses no acknowledged event', async () => {
    const dir = tmpDir('sigterm-');
    const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: cleanEnv({ NO_COLOR: '1', TELEMETRY_DIR: dir, TELEMETRY_PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const started = Date.now();
      while (!/listening on (http:\/\/\S+)/.test(stdout)) {
        if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`collector did not start\nstdout: ${stdout}\nstderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
      expect(stdout).toContain(`data directory: ${dir}`);

      const acknowledged: string[] = [];
      let sent = 0;
      let stopAt = Number.POSITIVE_INFINITY;
      let failures = 0;
      const deadline = Date.now() + 30_000;
      // Four uploaders, each sending batches of 25 events with unique ids until the collector is gone.
      const uploader = async (w: number): Promise<void> => {
        for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
          const ids = Array.from({ length: 25 }, (_, k) => `w${w}-r${i}-e${k}`);
          const body = JSON.stringify(ids.map((id) => ({ scenario: 'stream', event: 'tick', id, details: { w, i } })));
          sent++;
          try {
            const res = await fetch(`${url}/api/v1/telemetry/upload`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
            const answer = (await res.json()) as { events_stored?: number };
            if (res.status === 200 && answer.events_stored === ids.length) acknowledged.push(...ids);
            else failures++;
          } catch {
            failures++;
          }
          if (failures > 0 && sent > stopAt) return;
          if (sent === 40) {
            stopAt = sent;
            child.kill('SIGTERM');
          }
        }
      };
      await Promise.all([0, 1, 2, 3].map(uploader));
      const { code, signal } = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('collector did not exit')), 20_000))]);
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(stdout).toContain('stopping: finishing in-flight requests and flushing');
      expect(stdout).toContain('collector stopped');

      const stored = readJsonl(join(dir, 'stream.jsonl')).map((l) => l.id as string);
      const storedSet = new Set(stored);
      expect(stored.length).toBe(storedSet.size); // nothing twice
      const lost = acknowledged.filter((id) => !storedSet.has(id));
      expect(lost).toEqual([]);
      expect(acknowledged.length).toBeGreaterThanOrEqual(25 * 30);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits non-zero (2: a configuration error) with a clear message when it cannot start', async () => {
    const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: cleanEnv({ NO_COLOR: '1', TELEMETRY_HOST: '0.0.0.0', TELEMETRY_PORT: '0', TELEMETRY_DIR: tmpDir() }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without TELEMETRY_AUTH_TOKEN/);
  });
});
