import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { loadClickHouseStoreConfig } from '../../collector/stores/clickhouse/config.js';
import { loadClickHouseConfig } from './config.js';

describe('ClickHouse settings', () => {
  it('has working defaults', () => {
    const c = loadClickHouseConfig({}, {});
    expect(c).toMatchObject({ url: 'http://127.0.0.1:8123/', database: 'telemetry', table: 'events', user: undefined, password: undefined, createSchema: true });
    expect(loadClickHouseStoreConfig({}, {}).dedupCheck).toBe(true);
  });

  it('takes options over env, env over defaults, and reads booleans and integers explicitly', () => {
    const env = { TELEMETRY_CLICKHOUSE_DATABASE: 'from_env', TELEMETRY_CLICKHOUSE_TABLE: 'env_table', TELEMETRY_CLICKHOUSE_CREATE_SCHEMA: 'false', TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS: '1500', TELEMETRY_CLICKHOUSE_DEDUP_CHECK: 'off' };
    const c = loadClickHouseStoreConfig({ table: 'from_option' }, env);
    expect(c).toMatchObject({ database: 'from_env', table: 'from_option', createSchema: false, retryDeadlineMs: 1500, dedupCheck: false });
  });

  it('moves credentials out of the URL (never part of messages)', () => {
    const c = loadClickHouseConfig({ url: 'https://writer:s%40cret@ch.example:8443/?database=x' }, {});
    expect(c).toMatchObject({ url: 'https://ch.example:8443/', user: 'writer', password: 's@cret' });
    expect(loadClickHouseConfig({ url: 'http://u:p@h:8123', user: 'explicit' }, {}).user).toBe('explicit');
  });

  it('refuses database and table names that are not plain identifiers (they are the only names in SQL text)', () => {
    for (const bad of ['events; DROP TABLE x', 'a.b', '`x`', '1abc', 'x'.repeat(64), "e' OR 1=1", '']) {
      expect(() => loadClickHouseConfig({}, { TELEMETRY_CLICKHOUSE_TABLE: bad || ' x' })).toThrow(/TELEMETRY_CLICKHOUSE_TABLE/);
      if (bad !== '') expect(() => loadClickHouseConfig({ database: bad }, {})).toThrow(ConfigError);
    }
  });

  it('names the variable of every bad value, and rejects unknown options', () => {
    expect(() => loadClickHouseConfig({}, { TELEMETRY_CLICKHOUSE_URL: 'ftp://x' })).toThrow(/TELEMETRY_CLICKHOUSE_URL/);
    expect(() => loadClickHouseConfig({}, { TELEMETRY_CLICKHOUSE_TIMEOUT_MS: 'soon' })).toThrow(/TELEMETRY_CLICKHOUSE_TIMEOUT_MS/);
    expect(() => loadClickHouseConfig({}, { TELEMETRY_CLICKHOUSE_BACKOFF_MS: '5000', TELEMETRY_CLICKHOUSE_MAX_BACKOFF_MS: '100' })).toThrow(/TELEMETRY_CLICKHOUSE_MAX_BACKOFF_MS/);
    expect(() => loadClickHouseConfig({ tabel: 'x' } as never, {})).toThrow(/unknown option "tabel"/);
  });
});
