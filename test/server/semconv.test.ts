import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { detectResources, hostDetector, osDetector, processDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { serializeRecord } from '../../core/line.js';
import { ATTR_APP_ID, ATTR_EVENT_ID, ATTR_NAMESPACE, ATTR_SCENARIO, LEGACY_ATTRIBUTE_KEYS, TELEMETRY_SCOPE } from '../../core/record.js';
import { loadEnvironmentConfig } from '../../receivers/environment/config.js';
import { ProductEnvironment } from '../../receivers/environment/ProductEnvironment.js';
import {
  ATTR_PRODUCT_DATABASE_VERSION,
  ATTR_PRODUCT_EDITION,
  ATTR_PRODUCT_INTEGRATIONS,
  ATTR_PRODUCT_NAME,
  ATTR_PRODUCT_VERSION,
  LEGACY_RESOURCE_ATTRIBUTE_KEYS,
  PRODUCT_RESOURCE_ATTRIBUTES,
  ProductEnvironmentDetector,
} from '../../receivers/environment/ProductEnvironmentDetector.js';
import { OTLP_STORED_RESOURCE_ATTRIBUTES } from '../../collector/otlp/mapLogs.js';
import { readJsonl, tmpDir } from '../helpers.js';
import { collector } from './setup.js';

const T0 = Date.UTC(2025, 2, 1, 9, 30, 0);

describe('attribute keys: one documented namespace, semantic conventions where they exist', () => {
  it('our own keys live under product_telemetry.; the older keys map onto them', () => {
    expect(ATTR_NAMESPACE).toBe('product_telemetry.');
    const own = [ATTR_SCENARIO, ATTR_EVENT_ID, ATTR_APP_ID, ATTR_PRODUCT_NAME, ATTR_PRODUCT_VERSION, ATTR_PRODUCT_EDITION, ATTR_PRODUCT_DATABASE_VERSION, ATTR_PRODUCT_INTEGRATIONS];
    expect(own).toEqual([
      'product_telemetry.scenario',
      'product_telemetry.event.id',
      'product_telemetry.app.id',
      'product_telemetry.product.name',
      'product_telemetry.product.version',
      'product_telemetry.product.edition',
      'product_telemetry.database.version',
      'product_telemetry.integrations',
    ]);
    // Every other resource attribute is a semantic-convention key, never OTel's reserved telemetry.* or bare product.*.
    for (const key of PRODUCT_RESOURCE_ATTRIBUTES) {
      if (key.startsWith(ATTR_NAMESPACE)) continue;
      expect(['app.installation.id', 'process.runtime.name', 'process.runtime.version', 'process.runtime.description', 'os.type', 'host.arch', 'db.system.name', 'webengine.name', 'webengine.version']).toContain(key);
    }
    expect([...LEGACY_ATTRIBUTE_KEYS]).toEqual([['telemetry.scenario', ATTR_SCENARIO], ['telemetry.event.id', ATTR_EVENT_ID], ['app.id', ATTR_APP_ID]]);
    expect([...LEGACY_RESOURCE_ATTRIBUTE_KEYS.values()].sort()).toEqual([ATTR_PRODUCT_DATABASE_VERSION, ATTR_PRODUCT_EDITION, ATTR_PRODUCT_INTEGRATIONS, ATTR_PRODUCT_NAME, ATTR_PRODUCT_VERSION].sort());
    // The collector's allow-list is the README's "What is collected" list (which readme-collected.test.ts checks).
    expect([...OTLP_STORED_RESOURCE_ATTRIBUTES].sort()).toEqual([...PRODUCT_RESOURCE_ATTRIBUTES].sort());
  });

  it('in process: a record with the older keys serialises to the same line as one with the current keys (current wins)', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger(TELEMETRY_SCOPE);
    logger.emit({ eventName: 'opened', timestamp: T0, attributes: { [ATTR_SCENARIO]: 'keys', [ATTR_EVENT_ID]: 'k-1', [ATTR_APP_ID]: 'app-1', extra: 1 }, body: { app: 'app-1' } });
    logger.emit({ eventName: 'opened', timestamp: T0, attributes: { 'telemetry.scenario': 'keys', 'telemetry.event.id': 'k-1', 'app.id': 'app-1', extra: 1 }, body: { app: 'app-1' } });
    // Both: the current key wins.
    logger.emit({ eventName: 'opened', timestamp: T0, attributes: { [ATTR_SCENARIO]: 'keys', 'telemetry.scenario': 'old-loses', [ATTR_EVENT_ID]: 'k-1', 'telemetry.event.id': 'old-id', [ATTR_APP_ID]: 'app-1', 'app.id': 'old-app', extra: 1 }, body: { app: 'app-1' } });
    await provider.forceFlush();
    const lines = exporter.getFinishedLogRecords().map((r) => serializeRecord(r, 'default').line);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('{"ts":"2025-03-01T09:30:00.000Z","scenario":"keys","event":"opened","details":{"app":"app-1","extra":1},"id":"k-1"}\n');
    expect(lines[1]).toBe(lines[0]);
    expect(lines[2]).toBe(lines[0]);
    await provider.shutdown();
  });
});

/** Records and a resource written with the current keys, or with the keys of earlier releases. */
async function sendKeys(exporter: LogRecordExporter, old: boolean): Promise<void> {
  const k = (current: string, legacy: string) => (old ? legacy : current);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'ignored-service',
      'app.installation.id': '0193c8a0-0000-7000-8000-000000000001',
      [k(ATTR_PRODUCT_NAME, 'product.name')]: 'shop',
      [k(ATTR_PRODUCT_VERSION, 'product.version')]: '3.1.0',
      [k(ATTR_PRODUCT_EDITION, 'product.edition')]: 'enterprise',
      'db.system.name': 'postgresql',
      [k(ATTR_PRODUCT_DATABASE_VERSION, 'product.database.version')]: '16.1',
      [k(ATTR_PRODUCT_INTEGRATIONS, 'product.integrations')]: ['docker', 'helm'],
      'host.name': 'secret-host',
    }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('shop');
  logger.emit({
    eventName: 'checkout',
    timestamp: T0,
    severityNumber: SeverityNumber.INFO,
    attributes: { [k(ATTR_SCENARIO, 'telemetry.scenario')]: 'keys-svc', [k(ATTR_EVENT_ID, 'telemetry.event.id')]: 'keys-1', [k(ATTR_APP_ID, 'app.id')]: 'web-shop', 'deployment.id': 'dep-1', 'cart.items': 2 },
    body: { amount: 3 },
  });
  logger.emit({ eventName: 'crash', timestamp: T0 + 1, severityNumber: SeverityNumber.FATAL, attributes: { [k(ATTR_SCENARIO, 'telemetry.scenario')]: 'keys-svc', [k(ATTR_EVENT_ID, 'telemetry.event.id')]: 'keys-2' }, body: { message: 'boom' } });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('POST /v1/logs: older keys are accepted, and only the allow-listed resource attributes are stored', () => {
  for (const [name, make] of [
    ['OTLP/JSON', (url: string) => new OTLPJsonLogExporter({ url })],
    ['OTLP protobuf', (url: string) => new OTLPProtoLogExporter({ url })],
  ] as const) {
    it(`${name}: a request using the older keys stores the same lines as one using the current keys`, async () => {
      const current = await collector();
      const older = await collector();
      await sendKeys(make(`${current.url}/v1/logs`), false);
      await sendKeys(make(`${older.url}/v1/logs`), true);
      const text = readFileSync(join(current.dir, 'keys-svc.jsonl'), 'utf8');
      expect(readFileSync(join(older.dir, 'keys-svc.jsonl'), 'utf8')).toBe(text);
      const lines = readJsonl(join(current.dir, 'keys-svc.jsonl'));
      expect(lines[0]).toEqual({
        ts: '2025-03-01T09:30:00.000Z',
        scenario: 'keys-svc',
        deployment_id: 'dep-1',
        installation_id: '0193c8a0-0000-7000-8000-000000000001',
        event: 'checkout',
        details: {
          amount: 3,
          app: 'web-shop',
          'cart.items': 2,
          resource: {
            'app.installation.id': '0193c8a0-0000-7000-8000-000000000001',
            'db.system.name': 'postgresql',
            'product_telemetry.database.version': '16.1',
            'product_telemetry.integrations': ['docker', 'helm'],
            'product_telemetry.product.edition': 'enterprise',
            'product_telemetry.product.name': 'shop',
            'product_telemetry.product.version': '3.1.0',
          },
        },
        id: 'keys-1',
      });
      expect(Object.keys(lines[0]!)).toEqual(['ts', 'scenario', 'deployment_id', 'installation_id', 'event', 'details', 'id']);
      expect(lines[1]).toMatchObject({ event: 'crash', level: 'fatal', id: 'keys-2', installation_id: '0193c8a0-0000-7000-8000-000000000001' });
      expect(text).not.toContain('secret-host');
      expect(text).not.toMatch(/"(telemetry\.scenario|telemetry\.event\.id|app\.id|product\.[a-z.]+)"/);
    });
  }

  it('with the current and an older key on one record or resource, the current key wins', async () => {
    const c = await collector();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ [ATTR_PRODUCT_NAME]: 'new-name', 'product.name': 'old-name' }),
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPJsonLogExporter({ url: `${c.url}/v1/logs` }) })],
    });
    provider.getLogger('x').emit({ eventName: 'e', attributes: { [ATTR_SCENARIO]: 'winner', 'telemetry.scenario': 'loser', [ATTR_EVENT_ID]: 'w-1', 'telemetry.event.id': 'l-1', [ATTR_APP_ID]: 'new-app', 'app.id': 'old-app' } });
    await provider.shutdown();
    const [line] = readJsonl(join(c.dir, 'winner.jsonl'));
    expect(line).toMatchObject({ id: 'w-1', details: { app: 'new-app', resource: { [ATTR_PRODUCT_NAME]: 'new-name' } } });
    expect(JSON.stringify(line)).not.toMatch(/loser|l-1|old-app|old-name/);
  });

  it('whatever detectors the sending host runs (host, process, os), nothing but the allow-list reaches the store', async () => {
    const c = await collector();
    const dir = tmpDir();
    const environment = new ProductEnvironment({ config: loadEnvironmentConfig({ productName: 'shop', productVersion: '1.2.3', databaseVendor: 'postgresql', databaseVersion: '16.1', appServerVendor: 'fastify', appServerVersion: '5.2.0', integrations: ['helm'] }, {}), dir, consent: { enabled: true }, env: {} });
    // The stock NodeSDK detectors that carry host names, ids, user names and command lines, plus ours.
    const resource: Resource = detectResources({ detectors: [hostDetector, processDetector, osDetector, new ProductEnvironmentDetector({ environment })] });
    await resource.waitForAsyncAttributes?.();
    const sent = resource.merge(resourceFromAttributes({ 'user.name': 'alice-secret', 'host.id': 'host-id-secret', 'host.ip': ['10.1.2.3'], 'service.name': 'priv-svc' }));
    expect(Object.keys(sent.attributes)).toEqual(expect.arrayContaining(['host.name', 'process.command_args', 'process.owner', 'process.executable.path', 'process.pid', 'host.id', 'user.name']));

    for (const exporter of [new OTLPJsonLogExporter({ url: `${c.url}/v1/logs` }), new OTLPProtoLogExporter({ url: `${c.url}/v1/logs` })]) {
      const provider = new LoggerProvider({ resource: sent, processors: [new BatchLogRecordProcessor({ exporter })] });
      provider.getLogger('x').emit({ eventName: 'started', timestamp: T0, body: { ok: true } });
      await provider.shutdown();
    }
    const text = readFileSync(join(c.dir, 'priv-svc.jsonl'), 'utf8');
    const lines = readJsonl(join(c.dir, 'priv-svc.jsonl'));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const stored = (line.details as { resource: Record<string, unknown> }).resource;
      expect(Object.keys(stored).sort()).toEqual([...PRODUCT_RESOURCE_ATTRIBUTES].sort());
      for (const key of Object.keys(stored)) expect(stored[key]).toEqual(sent.attributes[key]);
      expect(Object.keys(line.details as object).sort()).toEqual(['ok', 'resource']);
    }
    // A value short enough to occur by chance (a pid such as 510 inside a hex id or a time, a host named "vm") is
    // looked for as a whole JSON value; a longer one anywhere in the text.
    const leaked = (secret: string): boolean => {
      const json = JSON.stringify(secret).slice(1, -1);
      if (secret.length >= 6) return text.includes(json);
      const escaped = json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`"${escaped}"|[:\\[,]${escaped}[,\\]}]`).test(text);
    };
    for (const secret of [hostname(), userInfo().username, 'alice-secret', 'host-id-secret', '10.1.2.3', String(process.pid), process.execPath, ...process.argv.slice(1)]) {
      expect(leaked(secret), secret).toBe(false);
    }
    expect(text).not.toMatch(/host\.name|host\.id|process\.(owner|command|executable|pid)|user\.name|os\.description/);
  });
});
