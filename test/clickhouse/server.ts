/**
 * A throw-away ClickHouse server as an ordinary child process (used by the vitest global setup and by
 * bench/clickhouse.mjs): data in a temp dir, HTTP, TCP and interserver ports picked free on 127.0.0.1, logs in the
 * temp dir; stopped with SIGTERM (SIGKILL after 15 s) and its dir removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const CLICKHOUSE_CONFIG = '/etc/clickhouse-server/config.xml';
const START_TIMEOUT_MS = 30_000;

/** The `clickhouse-server` binary: TELEMETRY_TEST_CLICKHOUSE_BIN, else PATH, /usr/sbin, /usr/bin, /usr/local/bin. */
export function findClickHouseBinary(): string | undefined {
  // TELEMETRY_TEST_CLICKHOUSE_BIN names the binary (a missing path shows the tests' skip path).
  const given = process.env.TELEMETRY_TEST_CLICKHOUSE_BIN;
  if (given !== undefined && given.trim() !== '') {
    try {
      accessSync(given, constants.X_OK);
      return given;
    } catch {
      return undefined;
    }
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const p = join(dir, 'clickhouse-server');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).startsWith('Ok');
  } catch {
    return false;
  }
}

function tail(file: string, chars = 1500): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-chars).trim();
  } catch {
    return '';
  }
}

export interface StartedClickHouse {
  url: string;
  child: ChildProcess;
  dir: string;
}

/** Start a throw-away server with its data in a new directory under `parent` (default: the OS temp dir). */
export async function startClickHouseServer(bin: string, parent = tmpdir()): Promise<StartedClickHouse> {
  const dir = mkdtempSync(join(parent, 'opt-clickhouse-'));
  for (const sub of ['tmp', 'uf', 'fs']) mkdirSync(join(dir, sub));
  const [http, tcp, inter] = [await freePort(), await freePort(), await freePort()];
  const args = [
    `--config-file=${CLICKHOUSE_CONFIG}`,
    '--',
    `--path=${dir}/`,
    `--tmp_path=${dir}/tmp/`,
    `--user_files_path=${dir}/uf/`,
    `--format_schema_path=${dir}/fs/`,
    `--http_port=${http}`,
    `--tcp_port=${tcp}`,
    `--interserver_http_port=${inter}`,
    '--listen_host=127.0.0.1',
    `--logger.log=${join(dir, 'server.log')}`,
    `--logger.errorlog=${join(dir, 'server.err.log')}`,
  ];
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (err) => (exited = err.message));
  // If the test runner exits without running the teardown (Ctrl-C), the server must not outlive it.
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  child.once('exit', () => process.removeListener('exit', onExit));
  const url = `http://127.0.0.1:${http}`;
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (exited !== undefined) break;
    if (await ping(url)) return { url, child, dir };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopClickHouseServer({ url, child, dir });
  const why = exited ?? `no answer on ${url}/ping within ${START_TIMEOUT_MS} ms`;
  throw new Error(`clickhouse-server ${why}\n${tail(join(dir, 'server.err.log')) || stderr.slice(-1500)}`);
}

export async function stopClickHouseServer(s: StartedClickHouse): Promise<void> {
  const { child } = s;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  }
  rmSync(s.dir, { recursive: true, force: true });
}

