/**
 * Vitest global setup: a real ClickHouse server for the ClickHouse tests.
 *
 * - `TELEMETRY_TEST_CLICKHOUSE_URL` set: that server is used as is (nothing is started).
 * - Otherwise, when the run includes ClickHouse tests and `clickhouse-server` is installed (Debian's package; `.ci/run`
 *   installs it), one server is started for the whole run as an ordinary child process: data in a temp dir, HTTP, TCP
 *   and interserver ports picked free on 127.0.0.1, and stopped (SIGTERM, then SIGKILL) when the run ends.
 * - `TELEMETRY_TEST_CLICKHOUSE_BIN=/path/to/clickhouse-server` picks the binary (a missing path shows the skip path).
 * - When it cannot run (binary or config missing, start failed), the reason is printed here and by every ClickHouse
 *   test file, whose tests are then skipped — never silently.
 *
 * The URL (or the reason) reaches the tests through `provide`/`inject` ('clickhouseUrl', 'clickhouseSkipReason').
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
    clickhouseSkipReason: string;
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TEST_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)));
const CONFIG = '/etc/clickhouse-server/config.xml';
const START_TIMEOUT_MS = 30_000;
const INSTALL_HINT = 'install it with `apt-get update && apt-get install -y clickhouse-server clickhouse-client` (as .ci/run does)';

function findBinary(): string | undefined {
  // TELEMETRY_TEST_CLICKHOUSE_BIN names the binary (or a missing one, to see the skip path); `off` skips on purpose.
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

/** Whether the run's file filters (if any) select a ClickHouse test; without filters every test runs. */
function clickhouseTestsSelected(project: TestProject): boolean {
  // Internal field of Vitest (the CLI's file filters); when it is missing, assume the tests run.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!Array.isArray(filters) || filters.length === 0) return true;
  const files = readdirSync(TEST_DIR)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(ROOT, join(TEST_DIR, f)).split(sep).join('/'));
  return filters.some((raw) => {
    const f = raw.startsWith('/') ? relative(ROOT, raw).split(sep).join('/') : raw.replace(/^\.\//, '');
    return /clickhouse/i.test(f) || files.some((file) => file.includes(f));
  });
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

async function ping(url: string): Promise<boolean> {
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

interface Started {
  url: string;
  child: ChildProcess;
  dir: string;
}

async function startServer(bin: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'opt-clickhouse-'));
  for (const sub of ['tmp', 'uf', 'fs']) mkdirSync(join(dir, sub));
  const [http, tcp, inter] = [await freePort(), await freePort(), await freePort()];
  const args = [
    `--config-file=${CONFIG}`,
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
  await stopServer({ url, child, dir });
  const why = exited ?? `no answer on ${url}/ping within ${START_TIMEOUT_MS} ms`;
  throw new Error(`clickhouse-server ${why}\n${tail(join(dir, 'server.err.log')) || stderr.slice(-1500)}`);
}

async function stopServer(s: Started): Promise<void> {
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

function skip(project: TestProject, reason: string): void {
  console.warn(`\n[clickhouse] ClickHouse tests will be SKIPPED: ${reason}\n`);
  project.provide('clickhouseUrl', '');
  project.provide('clickhouseSkipReason', reason);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TELEMETRY_TEST_CLICKHOUSE_URL;
  if (external !== undefined && external.trim() !== '') {
    const url = external.trim().replace(/\/+$/, '');
    if (!(await ping(url))) {
      skip(project, `TELEMETRY_TEST_CLICKHOUSE_URL=${url} does not answer /ping`);
      return undefined;
    }
    project.provide('clickhouseUrl', url);
    project.provide('clickhouseSkipReason', '');
    return undefined;
  }
  if (!clickhouseTestsSelected(project)) {
    // No ClickHouse test in this run: nothing to start, nothing to report.
    project.provide('clickhouseUrl', '');
    project.provide('clickhouseSkipReason', 'not started: the run selects no ClickHouse test');
    return undefined;
  }
  const bin = findBinary();
  if (bin === undefined) {
    const given = process.env.TELEMETRY_TEST_CLICKHOUSE_BIN;
    const where = given ? `TELEMETRY_TEST_CLICKHOUSE_BIN=${given} is not an executable` : 'clickhouse-server is not installed (not on PATH, /usr/sbin or /usr/bin)';
    skip(project, `${where}: ${INSTALL_HINT}`);
    return undefined;
  }
  if (!existsSync(CONFIG)) {
    skip(project, `${CONFIG} is missing (it comes with Debian's clickhouse-server package): ${INSTALL_HINT}`);
    return undefined;
  }
  let server: Started;
  try {
    server = await startServer(bin);
  } catch (err) {
    skip(project, `starting ${bin} failed: ${(err as Error).message}`);
    return undefined;
  }
  project.provide('clickhouseUrl', server.url);
  project.provide('clickhouseSkipReason', '');
  return () => stopServer(server);
}
