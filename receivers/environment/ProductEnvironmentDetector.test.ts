import { describe, expect, it } from 'vitest';
import { hostname, userInfo } from 'node:os';
import { detectResources } from '@opentelemetry/resources';
import { tmpDir } from '../../test/helpers.js';
import { loadEnvironmentConfig, type EnvironmentOptions } from './config.js';
import { ProductEnvironment } from './ProductEnvironment.js';
import { PRODUCT_RESOURCE_ATTRIBUTES, ProductEnvironmentDetector } from './ProductEnvironmentDetector.js';
import { ObservedDatabases } from './observedDatabases.js';
import { readInstallationId } from './installationId.js';

function environment(options: EnvironmentOptions = {}, enabled = true, env: NodeJS.ProcessEnv = {}) {
  const dir = tmpDir();
  const observed = new ObservedDatabases();
  return { dir, observed, environment: new ProductEnvironment({ config: loadEnvironmentConfig(options, env), dir, consent: { enabled }, observed, env }) };
}

describe('ProductEnvironmentDetector (an OTel ResourceDetector)', () => {
  it('detects installation, product, runtime and platform through detectResources()', async () => {
    const { dir, environment: env } = environment({ productName: 'shop', productVersion: '3.1.0', productEdition: 'enterprise' });
    const resource = detectResources({ detectors: [new ProductEnvironmentDetector({ environment: env })] });
    await resource.waitForAsyncAttributes?.();
    const a = resource.attributes;
    expect(a).toMatchObject({
      'app.installation.id': readInstallationId(dir),
      'product_telemetry.product.name': 'shop',
      'product_telemetry.product.version': '3.1.0',
      'product_telemetry.product.edition': 'enterprise',
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.runtime.description': 'Node.js',
      'os.type': process.platform === 'win32' ? 'windows' : process.platform,
      'host.arch': process.arch === 'x64' ? 'amd64' : process.arch,
    });
    for (const key of Object.keys(a)) expect(PRODUCT_RESOURCE_ATTRIBUTES).toContain(key);
  });

  it('gives configured database and app server at once, with semantic-convention names', () => {
    const { environment: env } = environment({ databaseVendor: 'postgresql', databaseVersion: '16.1', appServerVendor: 'fastify', appServerVersion: '5.2.0', integrations: ['helm', 'docker'] });
    const detected = new ProductEnvironmentDetector({ environment: env }).detect();
    expect(detected.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'product_telemetry.database.version': '16.1',
      'webengine.name': 'fastify',
      'webengine.version': '5.2.0',
      'product_telemetry.integrations': ['docker', 'helm'],
    });
  });

  it('gives plain values only (the 3.x line drops promise-valued ones): what is known when detect() runs; unknown ones left out', () => {
    const { environment: env, observed } = environment({ appServerVendor: 'custom' });
    expect(new ProductEnvironmentDetector({ environment: env }).detect().attributes).not.toHaveProperty('db.system.name');
    observed.record('mongodb'); // a database seen (from spans) before detection
    const detected = new ProductEnvironmentDetector({ environment: env }).detect();
    for (const value of Object.values(detected.attributes!)) {
      expect(value).not.toBeInstanceOf(Promise);
      expect(value).not.toBeUndefined();
    }
    const resource = detectResources({ detectors: [{ detect: () => detected }] });
    expect(resource.asyncAttributesPending ?? false).toBe(false);
    expect(resource.attributes['db.system.name']).toBe('mongodb');
    expect(resource.attributes['webengine.name']).toBe('custom');
    expect(resource.attributes).not.toHaveProperty('webengine.version');
  });

  it('while telemetry is off the id is provisional and nothing is written', () => {
    const { dir, environment: env } = environment({}, false);
    const detected = new ProductEnvironmentDetector({ environment: env }).detect();
    expect(detected.attributes!['app.installation.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(readInstallationId(dir)).toBeUndefined();
  });

  it('carries nothing personal: no host name, user name, home or working directory, env values', async () => {
    const { environment: env } = environment({}, true, { CI: 'true', KUBERNETES_SERVICE_HOST: '10.0.0.1', SECRET_THING: 'hunter2' });
    const resource = detectResources({ detectors: [new ProductEnvironmentDetector({ environment: env })] });
    await resource.waitForAsyncAttributes?.();
    const text = JSON.stringify(resource.attributes);
    for (const value of [hostname(), userInfo().username, userInfo().homedir, process.cwd(), '10.0.0.1', 'hunter2'].filter((v) => v.length > 3)) {
      expect(text).not.toContain(value);
    }
    expect(resource.attributes['product_telemetry.integrations']).toEqual(expect.arrayContaining(['ci', 'kubernetes']));
  });

  it('detect: false reports only what is configured', () => {
    const { environment: env, observed } = environment({ detect: false }, true, { CI: '1' });
    observed.record('postgresql');
    const a = new ProductEnvironmentDetector({ environment: env }).detect().attributes!;
    expect(a['db.system.name']).toBeUndefined();
    expect(a['product_telemetry.integrations']).toBeUndefined();
  });
});
