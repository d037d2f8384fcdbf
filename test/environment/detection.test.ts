import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ROOT, runNode, tmpDir } from '../helpers.js';

const dynamicApp = join(import.meta.dirname, 'apps/web-app.mjs');
const staticApp = join(import.meta.dirname, 'apps/static-app.mjs');
const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

interface Output {
  data: { installation: string; product: { name: string; version: string; internals: Record<string, unknown> } };
  resource: Record<string, unknown>;
}

async function run(env: Record<string, string>, app = dynamicApp): Promise<Output> {
  const dir = tmpDir();
  const r = await runNode(app, { nodeArgs: ['--import', 'tsx'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'web', ...env } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Output;
}

describe('environment detection from what a real app loads (child process, real NodeSDK)', () => {
  it('express + pg imported statically: application server and database driver, in the report and the resource', async () => {
    const out = await run({}, staticApp);
    expect(out.data.product.internals['application-server']).toEqual({ vendor: 'express', version: versionOf('express') });
    expect(out.data.product.internals.database).toEqual({ vendor: 'postgresql', version: `pg ${versionOf('pg')}` });
    expect(out.resource).toMatchObject({
      'webengine.name': 'express',
      'webengine.version': versionOf('express'),
      'db.system.name': 'postgresql',
      'product_telemetry.database.version': `pg ${versionOf('pg')}`,
      'app.installation.id': out.data.installation,
      'product_telemetry.product.name': 'otel-product-telemetry',
      'process.runtime.name': 'nodejs',
    });
    // The host keeps its own detectors (nodeSdkResourceDetectors(): NodeSDK's default, host and process included), so
    // its resource has host.name; what we collect and send (the report) carries nothing personal all the same.
    expect(out.resource).toHaveProperty('host.name');
    const text = JSON.stringify(out.data);
    for (const v of [hostname(), userInfo().username, ROOT].filter((s) => s.length > 3)) expect(text).not.toContain(v);
  });

  it('loaded later with import(): not in the resource (settled at start), but in the report, which detects live', async () => {
    const out = await run({ FRAMEWORK: 'express', DRIVER: 'pg' });
    expect(out.data.product.internals['application-server']).toEqual({ vendor: 'express', version: versionOf('express') });
    expect(out.data.product.internals.database).toEqual({ vendor: 'postgresql', version: `pg ${versionOf('pg')}` });
    expect(out.resource['app.installation.id']).toBe(out.data.installation);
  });

  it('koa, database known only from spans (db.system.name through the span bridge)', async () => {
    const out = await run({ FRAMEWORK: 'koa', SPAN_DB: 'mysql' });
    expect(out.data.product.internals['application-server']).toEqual({ vendor: 'koa', version: versionOf('koa') });
    expect(out.data.product.internals.database).toEqual({ vendor: 'mysql' });
    expect(out.data.product.internals.commands).toEqual({ 'GET /orders': { count: 1 } });
  });

  it('configuration beats detection; TELEMETRY_DETECT=false reports only what is configured', async () => {
    const configured = await run({ FRAMEWORK: 'express', DRIVER: 'pg', TELEMETRY_DATABASE_VERSION: '16.1', TELEMETRY_APP_SERVER_VENDOR: 'my-gateway', TELEMETRY_PRODUCT_NAME: 'Shop', TELEMETRY_PRODUCT_VERSION: '7.1.0', TELEMETRY_PRODUCT_EDITION: 'enterprise', TELEMETRY_INTEGRATIONS: 'helm, terraform' });
    expect(configured.data.product).toMatchObject({ name: 'Shop', version: '7.1.0', edition: 'enterprise' });
    expect(configured.data.product.internals.database).toEqual({ vendor: 'postgresql', version: '16.1' });
    expect(configured.data.product.internals['application-server']).toEqual({ vendor: 'my-gateway' });
    expect(configured.data.product.internals.integrations).toEqual(expect.arrayContaining(['helm', 'terraform']));

    const quiet = await run({ FRAMEWORK: 'express', DRIVER: 'pg', TELEMETRY_DETECT: 'false' });
    expect(quiet.data.product.internals).not.toHaveProperty('database');
    expect(quiet.data.product.internals).not.toHaveProperty('application-server');
    expect(quiet.resource).not.toHaveProperty('db.system.name');
  });
});
