import { ClickHouseError, ConfigError } from '../../core/errors.js';
import type { ClickHouseHttp } from './ClickHouseHttp.js';
import { IDENTIFIER_PATTERN } from './config.js';

/**
 * The events table: one row per stored JSONL line.
 *
 * - Time is `ts_ms UInt64` (epoch milliseconds): ClickHouse 18.16 has no `DateTime64`, and milliseconds are what
 *   the lines carry. `toDateTime(intDiv(ts_ms, 1000))` gives a `DateTime` in SQL.
 * - `ReplacingMergeTree ORDER BY (scenario, ts_ms, id)`: sorted by scenario and time (what every query filters on);
 *   rows with the same key — the same event stored twice — collapse into one when parts merge.
 * - `seq` is the store order: a per-writer counter based on the microsecond clock, so rows of one writer keep their
 *   order and rows of several writers interleave by time. Queries return rows by `seq` (the JSONL files' order).
 * - `deployment_id` and `installation_id` are Nullable: absent and "" stay different, as in the lines. `level` is "" for info (the line omits
 *   it), `details` the JSON object's text ("" when the line has none).
 * - `details_keys` / `details_values`: the top-level scalar values of `details` (detailsIndex.ts), so insights group
 *   by a details key in SQL; `details_indexed` is 1 on rows the writers index that way, 0 (the default) on rows of an
 *   earlier release or of another writer, whose arrays are empty and which the store groups from `details`.
 */
export const EVENT_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['scenario', 'String'],
  ['ts_ms', 'UInt64'],
  ['id', 'String'],
  ['event', 'String'],
  ['deployment_id', 'Nullable(String)'],
  ['installation_id', 'Nullable(String)'],
  ['level', 'String'],
  ['details', 'String'],
  ['details_keys', 'Array(String)'],
  ['details_values', 'Array(String)'],
  ['details_indexed', 'UInt8'],
  ['seq', 'UInt64'],
];

const PARTITION_BY = 'toYYYYMM(toDateTime(intDiv(ts_ms, 1000)))';
const ORDER_BY = '(scenario, ts_ms, id)';

export interface TableName {
  readonly database: string;
  readonly table: string;
}

/** `` `db`.`table` `` — only for names that passed IDENTIFIER_PATTERN. */
export function qualifiedName(t: TableName): string {
  return `${identifier(t.database)}.${identifier(t.table)}`;
}

export function identifier(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name)) throw new ConfigError(`not a valid ClickHouse identifier: ${JSON.stringify(name)}`);
  return '`' + name + '`';
}

function columnsSql(): string {
  return EVENT_COLUMNS.map(([n, t]) => `    ${n} ${t}`).join(',\n');
}

/** The single-server DDL that `createSchema` runs (and the README shows). */
export function schemaSql(t: TableName): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${identifier(t.database)}`,
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(t)} (\n${columnsSql()}\n) ENGINE = ReplacingMergeTree\nPARTITION BY ${PARTITION_BY}\nORDER BY ${ORDER_BY}`,
  ];
}

/**
 * Columns added after the first release, each `[name, type, after]`: a table created by an earlier release gets them
 * at open (`addedColumnSql`, when the store creates the schema); rows written before read them as their type's
 * default: NULL (absent) for installation_id, empty arrays and 0 (not indexed) for the details index.
 */
const ADDED_COLUMNS: readonly (readonly [name: string, type: string, after: string])[] = [
  ['installation_id', 'Nullable(String)', 'deployment_id'],
  ['details_keys', 'Array(String)', 'details'],
  ['details_values', 'Array(String)', 'details_keys'],
  ['details_indexed', 'UInt8', 'details_values'],
];

/**
 * `ALTER TABLE … ADD COLUMN` for one added column (`cluster`: on the local tables, `ON CLUSTER`). Not `IF NOT EXISTS`:
 * ClickHouse 18.16 cannot parse it, so the store adds only a column that DESCRIBE shows missing, and a concurrent
 * collector that added it first is no failure (checked by describing again).
 */
function addedColumnSql(t: TableName, column: readonly [name: string, type: string, after: string], cluster?: string): string {
  const on = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`;
  const [n, type, after] = column;
  return `ALTER TABLE ${qualifiedName(t)}${on} ADD COLUMN ${identifier(n)} ${type} AFTER ${identifier(after)}`;
}

/**
 * The cluster variant (run once by an operator, with `TELEMETRY_CLICKHOUSE_CREATE_SCHEMA=false` on the collectors):
 * a `ReplicatedReplacingMergeTree` table on every node and a `Distributed` table over them that the collectors use.
 * The sharding key `cityHash64(scenario, id)` sends every copy of an event to the same shard, so merges there collapse
 * duplicates and per-shard `FINAL`/`uniqExact` reads stay exact across the cluster.
 */
export function clusterSchemaSql(t: TableName, cluster: string): string[] {
  const local: TableName = { database: t.database, table: `${t.table}_local` };
  const c = identifier(cluster);
  return [
    `CREATE DATABASE IF NOT EXISTS ${identifier(t.database)} ON CLUSTER ${c}`,
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(local)} ON CLUSTER ${c} (\n${columnsSql()}\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${t.database}/${local.table}', '{replica}')\nPARTITION BY ${PARTITION_BY}\nORDER BY ${ORDER_BY}`,
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(t)} ON CLUSTER ${c} AS ${qualifiedName(local)}\nENGINE = Distributed(${c}, ${identifier(t.database)}, ${identifier(local.table)}, cityHash64(scenario, id))`,
  ];
}

/**
 * Retention (`TELEMETRY_RETENTION_DAYS`): a table TTL that drops rows whose event time is older than `days` days
 * (ClickHouse removes them when it merges parts, and whole monthly partitions once all their rows expired). Run on the
 * single-server table at start when the store creates the schema; with a cluster, operators run it on the local
 * tables (`cluster` adds `ON CLUSTER`; a `Distributed` table has no TTL). Needs ClickHouse 19.6 or later.
 */
export function retentionTtlSql(t: TableName, days: number, cluster?: string): string {
  if (!Number.isSafeInteger(days) || days < 1) throw new ConfigError(`retention must be a whole number of days >= 1, got ${days}`);
  const on = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`;
  return `ALTER TABLE ${qualifiedName(t)}${on} MODIFY TTL toDateTime(intDiv(ts_ms, 1000)) + INTERVAL ${days} DAY`;
}

/**
 * Create the schema when asked (and add the columns of later releases, ADDED_COLUMNS, to a table of an earlier
 * release), then check that the table has the columns this code reads and writes (a table made by someone else with
 * other types fails here, at start, naming the differences — not on the first event). With `retentionDays` > 0 and
 * `create`, the table TTL is set (retentionTtlSql) after the check.
 */
export async function ensureSchema(http: ClickHouseHttp, t: TableName, create: boolean, retentionDays = 0): Promise<void> {
  if (create) for (const sql of schemaSql(t)) await http.exec(sql);
  let have = await describe(http, t);
  if (create) {
    // A table of an earlier release gets the columns added since.
    const missing = ADDED_COLUMNS.filter(([n]) => !have.has(n));
    for (const column of missing) {
      try {
        await http.exec(addedColumnSql(t, column));
      } catch (err) {
        // Another collector may have added it in the meantime: only a column still missing is a failure.
        if (!(await describe(http, t)).has(column[0])) throw err;
      }
    }
    if (missing.length > 0) have = await describe(http, t);
  }
  const wrong = EVENT_COLUMNS.filter(([n, type]) => have.get(n) !== type).map(([n, type]) => `${n} ${type} (found: ${have.get(n) ?? 'missing'})`);
  if (wrong.length > 0) {
    throw new ClickHouseError(`ClickHouse table ${t.database}.${t.table} at ${http.where} does not have the expected columns: ${wrong.join(', ')}`, 0, false);
  }
  if (create && retentionDays > 0) await http.exec(retentionTtlSql(t, retentionDays));
}

/** The table's columns, name → type. */
async function describe(http: ClickHouseHttp, t: TableName): Promise<Map<string, string>> {
  let described: { name: string; type: string }[];
  try {
    described = await http.rows<{ name: string; type: string }>(`DESCRIBE TABLE ${qualifiedName(t)} FORMAT JSONEachRow`);
  } catch (err) {
    if (err instanceof ClickHouseError && (err.serverCode === 60 || err.serverCode === 81)) {
      throw new ClickHouseError(
        `ClickHouse table ${t.database}.${t.table} does not exist at ${http.where} (TELEMETRY_CLICKHOUSE_CREATE_SCHEMA is off: create it with the DDL in the README)`,
        err.httpStatus,
        false,
        err.serverCode,
        { cause: err },
      );
    }
    throw err;
  }
  return new Map(described.map((c) => [c.name, c.type]));
}
