import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tmpDir } from '../helpers.js';

const app = join(import.meta.dirname, 'apps/sdk-app.mjs');

describe('span bridge in a real NodeSDK (child process)', () => {
  it('spans become commands, recorded exceptions the errors metric, db.system.name the database; the shutdown report equals getTelemetryData() byte for byte', async () => {
    const dir = tmpDir();
    const r = await runNode(app, { nodeArgs: ['--import', 'tsx'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'orders', TELEMETRY_PRODUCT_NAME: 'Orders', TELEMETRY_PRODUCT_VERSION: '1.0.0' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = r.stdout.trim();
    const data = JSON.parse(printed) as { product: { internals: Record<string, unknown> } };
    expect(data.product.internals).toMatchObject({
      database: { vendor: 'postgresql' },
      commands: { CancelOrder: { count: 1 }, CreateOrder: { count: 3 } },
      metrics: { errors: { count: 1 } },
    });
    const lines = readFileSync(join(dir, 'orders.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"event":"usage_report","details":' + printed + ',"id":');
  });
});
