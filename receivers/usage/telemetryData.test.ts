import { describe, expect, it } from 'vitest';
import { buildTelemetryData } from './telemetryData.js';
import type { EnvironmentSnapshot } from '../environment/ProductEnvironment.js';

const env: EnvironmentSnapshot = {
  installation: '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3',
  product: { name: 'Shop', version: '1.0.0', edition: 'community' },
  database: { vendor: 'postgresql', version: '16.1' },
  applicationServer: { vendor: 'fastify', version: '5.2.0' },
  runtime: { name: 'nodejs', vendor: 'Node.js', version: '20.20.2', osType: 'linux', arch: 'amd64' },
  integrations: ['docker'],
  license: undefined,
};

describe('buildTelemetryData', () => {
  it('is Camunda-shaped with a fixed key order and sorted counter names', () => {
    const data = buildTelemetryData(env, { commands: new Map([['b', 2], ['a', 40]]), metrics: new Map([['errors', 3]]) });
    expect(JSON.stringify(data)).toBe(
      '{"installation":"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3","product":{"name":"Shop","version":"1.0.0","edition":"community","internals":{' +
        '"database":{"vendor":"postgresql","version":"16.1"},"application-server":{"vendor":"fastify","version":"5.2.0"},' +
        '"runtime":{"vendor":"Node.js","version":"20.20.2"},"commands":{"a":{"count":40},"b":{"count":2}},"metrics":{"errors":{"count":3}},"integrations":["docker"]}}}',
    );
  });

  it('omits unknown database / application server, adds license-key only when given, keeps "__proto__" as data', () => {
    const data = buildTelemetryData(
      { ...env, database: undefined, applicationServer: undefined, license: { customer: 'ACME', unlimited: true } },
      { commands: new Map([['__proto__', 1]]), metrics: new Map() },
    );
    expect(Object.keys(data.product.internals)).toEqual(['runtime', 'commands', 'metrics', 'integrations', 'license-key']);
    expect(Object.getPrototypeOf(data.product.internals.commands)).toBe(Object.prototype);
    expect(JSON.stringify(data.product.internals.commands)).toBe('{"__proto__":{"count":1}}');
  });
});
