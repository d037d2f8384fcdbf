import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/helpers.js';
import { clusterSchemaSql, qualifiedName, retentionTtlSql, schemaSql } from './schema.js';

describe('ClickHouse schema', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('the README shows exactly the DDL the store runs, and the cluster variant it documents', () => {
    expect(readme).toContain(schemaSql({ database: 'telemetry', table: 'events' }).join(';\n\n') + ';');
    expect(readme).toContain(clusterSchemaSql({ database: 'telemetry', table: 'events' }, 'telemetry_cluster').join(';\n\n') + ';');
  });

  it('puts only validated identifiers into SQL text', () => {
    expect(qualifiedName({ database: 'db_1', table: 'Events' })).toBe('`db_1`.`Events`');
    for (const bad of ['a`b', 'a.b', 'x; DROP TABLE y', '', '9lives']) {
      expect(() => qualifiedName({ database: bad, table: 't' })).toThrow(/not a valid ClickHouse identifier/);
      expect(() => schemaSql({ database: 'd', table: bad })).toThrow(/not a valid ClickHouse identifier/);
      expect(() => clusterSchemaSql({ database: 'd', table: 't' }, bad)).toThrow(/not a valid ClickHouse identifier/);
    }
  });

  it('retention is a table TTL on the event time (TELEMETRY_RETENTION_DAYS), shown in the README', () => {
    const t = { database: 'telemetry', table: 'events' };
    expect(retentionTtlSql(t, 90)).toBe('ALTER TABLE `telemetry`.`events` MODIFY TTL toDateTime(intDiv(ts_ms, 1000)) + INTERVAL 90 DAY');
    expect(retentionTtlSql({ database: 'telemetry', table: 'events_local' }, 30, 'telemetry_cluster')).toBe(
      'ALTER TABLE `telemetry`.`events_local` ON CLUSTER `telemetry_cluster` MODIFY TTL toDateTime(intDiv(ts_ms, 1000)) + INTERVAL 30 DAY',
    );
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => retentionTtlSql(t, bad)).toThrow(/whole number of days/);
    expect(readme).toContain(retentionTtlSql(t, 90));
  });
});
