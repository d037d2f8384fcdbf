import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SERVE_ARGS, cleanEnv, tmpDir } from '../helpers.js';



describe('standalone collector diagnostics', () => {
  it('prints store failures on stderr by default (diag at warn), without the auth token', async () => {
    const root = tmpDir('diag-');
    const dir = join(root, 'data');
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'precious\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(outside, join(dir, 'evil.jsonl'));
    const token = 'diag-secret-token-123';
    const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: cleanEnv({ NO_COLOR: '1', TELEMETRY_DIR: dir, TELEMETRY_PORT: '0', TELEMETRY_AUTH_TOKEN: token }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!/listening on (http:\/\/\S+)/.test(stdout)) {
        if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`collector did not start\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
      const res = await fetch(`${url}/api/v1/telemetry/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify([{ scenario: 'evil', event: 'x' }]),
      });
      expect(res.status).toBe(503);
      for (let i = 0; i < 100 && !stderr.includes('evil.jsonl'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(stderr).toContain('evil.jsonl');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout + stderr).not.toContain(token);
  });
});
