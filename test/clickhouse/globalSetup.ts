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
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { CLICKHOUSE_CONFIG, findClickHouseBinary, ping, startClickHouseServer, stopClickHouseServer, type StartedClickHouse } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
    clickhouseSkipReason: string;
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TEST_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)));
const INSTALL_HINT = 'install it with `apt-get update && apt-get install -y clickhouse-server clickhouse-client` (as .ci/run does)';

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
  const bin = findClickHouseBinary();
  if (bin === undefined) {
    const given = process.env.TELEMETRY_TEST_CLICKHOUSE_BIN;
    const where = given ? `TELEMETRY_TEST_CLICKHOUSE_BIN=${given} is not an executable` : 'clickhouse-server is not installed (not on PATH, /usr/sbin or /usr/bin)';
    skip(project, `${where}: ${INSTALL_HINT}`);
    return undefined;
  }
  if (!existsSync(CLICKHOUSE_CONFIG)) {
    skip(project, `${CLICKHOUSE_CONFIG} is missing (it comes with Debian's clickhouse-server package): ${INSTALL_HINT}`);
    return undefined;
  }
  let server: StartedClickHouse;
  try {
    server = await startClickHouseServer(bin);
  } catch (err) {
    skip(project, `starting ${bin} failed: ${(err as Error).message}`);
    return undefined;
  }
  project.provide('clickhouseUrl', server.url);
  project.provide('clickhouseSkipReason', '');
  return () => stopClickHouseServer(server);
}
