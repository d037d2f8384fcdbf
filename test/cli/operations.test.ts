import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { tmpDir } from '../helpers.js';
import { cli, CliProcess, stopAll } from './cliProcess.js';

afterEach(stopAll);

async function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<{ p: CliProcess; dir: string }> {
  const p = new CliProcess(['serve', '--port', '0', ...args], env);
  await p.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
  const [, dir] = await p.waitFor(/data directory: (.+)\n/);
  return { p, dir: dir! };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('collector operations (serve)', () => {
  it('the collector has a default data dir of its own, beside the apps\' dir; TELEMETRY_DIR overrides both', { timeout: 120_000 }, async () => {
    const data = tmpDir('opt-ops-xdg-');
    const env = { XDG_DATA_HOME: data, HOME: data };
    const { p, dir } = await serve([], env);
    expect(dir).toBe(join(data, 'otel-product-telemetry', 'collector'));
    expect(existsSync(join(dir, 'collector.lock'))).toBe(true);
    const status = await cli(['status', '--format', 'json'], env);
    expect(status.code).toBe(0);
    const appDir = (JSON.parse(status.stdout) as { dir: string }).dir;
    expect(appDir).toBe(join(data, 'otel-product-telemetry', 'telemetry'));
    expect(appDir).not.toBe(dir);
    expect((await p.stop()).code).toBe(0);

    const shared = tmpDir('opt-ops-shared-');
    const both = await serve([], { ...env, TELEMETRY_DIR: shared });
    expect(both.dir).toBe(shared);
    expect((await both.p.stop()).code).toBe(0);
  });

  it('one collector per data dir: a second refuses naming the dir and the pid, exits 1; the lock goes on exit; a dead holder\'s lock is taken over', { timeout: 120_000 }, async () => {
    const dir = tmpDir('opt-ops-lock-');
    const first = await serve(['--dir', dir]);
    const second = await cli(['serve', '--port', '0', '--dir', dir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`the data directory ${dir} is in use by another collector (pid ${first.p.child.pid} `);
    expect(second.stdout).not.toMatch(/listening/);
    expect((await first.p.stop()).code).toBe(0);
    expect(existsSync(join(dir, 'collector.lock'))).toBe(false);

    // A collector killed with SIGKILL leaves its lock behind; its pid is gone, so the next one takes it over.
    const killed = await serve(['--dir', dir]);
    const lock = JSON.parse(readFileSync(join(dir, 'collector.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(killed.p.child.pid);
    await killed.p.stop('SIGKILL');
    expect(existsSync(join(dir, 'collector.lock'))).toBe(true);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(join(dir, 'collector.lock'), JSON.stringify({ pid: Number(dead.stdout.toString()), host: hostname(), started: new Date().toISOString() }) + '\n');
    const next = await serve(['--dir', dir]);
    expect((JSON.parse(readFileSync(join(dir, 'collector.lock'), 'utf8')) as { pid: number }).pid).toBe(next.p.child.pid);
    expect((await next.p.stop()).code).toBe(0);
  });

  it('exits non-zero with the cause when its store cannot be opened: ClickHouse down, a data dir that cannot be made', { timeout: 120_000 }, async () => {
    const port = await closedPort();
    const ch = await cli(['serve', '--port', '0', '--dir', tmpDir('opt-ops-ch-')], {
      TELEMETRY_STORE: 'clickhouse',
      TELEMETRY_CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
      TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS: '300',
      TELEMETRY_CLICKHOUSE_TIMEOUT_MS: '200',
    });
    expect(ch.code).toBe(1);
    expect(ch.stderr).toMatch(/the collector could not start: opening the ClickHouse store telemetry\.events failed after \d+ attempt/);
    expect(ch.stderr).toContain(`127.0.0.1:${port}`);
    expect(ch.stdout).not.toMatch(/listening/);

    const base = tmpDir('opt-ops-bad-');
    writeFileSync(join(base, 'file'), 'not a dir');
    const bad = await cli(['serve', '--port', '0', '--dir', join(base, 'file', 'store')]);
    // Refused by the settings check (2) or when the dir is claimed (1); either way non-zero, naming the dir.
    expect([1, 2]).toContain(bad.code);
    expect(bad.stderr).toContain(join(base, 'file', 'store'));
    expect(bad.stdout).not.toMatch(/listening/);

    if (process.getuid?.() !== 0) {
      const ro = join(base, 'read-only');
      mkdirSync(ro, { mode: 0o500 });
      const denied = await cli(['serve', '--port', '0', '--dir', ro]);
      expect([1, 2]).toContain(denied.code);
      expect(denied.stderr).toContain(ro);
    }
  });
});
