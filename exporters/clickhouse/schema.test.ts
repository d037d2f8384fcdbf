import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/helpers.js';
import { clusterSchemaSql, qualifiedName, schemaSql } from './schema.js';

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
});
