import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/**
 * The ClickHouse server of this run (started by globalSetup.ts), or undefined with the reason printed: call at the top
 * of a test file and skip its ClickHouse tests when it returns undefined (`describe.skipIf(!url)`).
 */
export function clickhouseUrl(file: string): string | undefined {
  const url = inject('clickhouseUrl');
  if (url !== undefined && url !== '') return url;
  const reason = inject('clickhouseSkipReason') || 'the ClickHouse global setup did not run (see vitest.config.ts)';
  console.warn(`[clickhouse] ${file}: ClickHouse tests SKIPPED: ${reason}`);
  return undefined;
}

/** A database name of its own for a test file (identifier-safe). */
export function uniqueDatabase(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Run one statement (test set-up and checks only; the code under test never builds SQL from values). */
export async function clickhouseSql(url: string, sql: string): Promise<string> {
  const u = new URL(url);
  u.searchParams.set('query', sql);
  const res = await fetch(u, { method: 'POST', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text}`);
  return text;
}

export async function dropDatabase(url: string | undefined, database: string): Promise<void> {
  if (url === undefined) return;
  await clickhouseSql(url, `DROP DATABASE IF EXISTS ${database}`);
}
