import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectResources } from '@opentelemetry/resources';
import { productTelemetry } from '../../pipeline/productTelemetry.js';
import { PRODUCT_RESOURCE_ATTRIBUTES } from '../../receivers/environment/ProductEnvironmentDetector.js';
import { telemetry } from '../../receivers/api/telemetry.js';
import { ROOT, tmpDir } from '../helpers.js';

/** The README's table of collected data: report field paths and resource attributes (`—` = none). */
function readmeTable(): { fields: string[]; attributes: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- collected-data:start -->');
  const end = readme.indexOf('<!-- collected-data:end -->');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| report field') && !l.startsWith('|---'));
  const cell = (row: string, i: number) => row.split('|')[i + 1]!.trim();
  const code = (c: string) => (c === '—' ? undefined : /^`([^`]+)`$/.exec(c)?.[1] ?? `unparsable: ${c}`);
  return {
    fields: rows.map((r) => code(cell(r, 0))).filter((v): v is string => v !== undefined),
    attributes: rows.map((r) => code(cell(r, 1))).filter((v): v is string => v !== undefined),
  };
}

/** Leaf paths of the real report data; counter names become `<name>`, the license object is one field. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (prefix.endsWith('.license-key')) return [prefix];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const generic = prefix.endsWith('.commands') || prefix.endsWith('.metrics') ? '<name>' : k;
    return leafPaths(v, prefix ? `${prefix}.${generic}` : generic);
  });
}

describe('README "What is collected" matches what the code collects', () => {
  it('every report field and every resource attribute, and nothing else', async () => {
    // Everything optional present: configured database, app server, license and integrations, counters used.
    const pt = productTelemetry({
      dir: tmpDir(),
      enabled: true,
      env: {},
      product: { databaseVendor: 'postgresql', databaseVersion: '16.1', appServerVendor: 'fastify', appServerVersion: '5.2.0', integrations: ['helm'], license: { customer: 'ACME', type: 'UNIFIED', 'valid-until': '2030-01-01', unlimited: false, features: { camundaBPM: 'true' }, raw: 'x' } },
    });
    telemetry.countCommand('CreateOrder');
    telemetry.countMetric('errors');
    const fields = [...new Set(leafPaths(pt.getTelemetryData()))].sort();

    const resource = detectResources({ detectors: pt.resourceDetectors });
    await resource.waitForAsyncAttributes?.();
    const attributes = Object.keys(resource.attributes).sort();
    // The declared list is what the detector can produce; with everything configured it produces all of it.
    expect(attributes).toEqual([...PRODUCT_RESOURCE_ATTRIBUTES].sort());

    const table = readmeTable();
    expect([...table.fields].sort()).toEqual(fields);
    expect([...table.attributes].sort()).toEqual(attributes);
    await pt.shutdown();
  });
});
