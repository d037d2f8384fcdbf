import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { productTelemetry } from '../../pipeline/productTelemetry.js';
import { telemetry } from '../../receivers/api/telemetry.js';
import { tmpDir } from '../helpers.js';

describe('privacy: what NodeSDK\'s default resource detectors add never reaches the store', () => {
  it('host.name, process.owner, process.command_args, paths are not in any stored line', async () => {
    const dir = tmpDir();
    const pt = productTelemetry({ dir, enabled: true, scenario: 'privacy', env: {} });
    // Only the processors, so NodeSDK runs its default detectors (env, process, host): exactly what a stock setup
    // adds to the resource (host.name, process.owner, process.command_args...).
    const sdk = new NodeSDK({ logRecordProcessors: pt.logRecordProcessors, spanProcessors: [] });
    sdk.start();
    await telemetry.event({ event: 'app_start', version: '1.0.0' });
    await telemetry.crash(new Error('with a stack'));
    await sdk.shutdown();
    const text = readFileSync(join(dir, 'privacy.jsonl'), 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    const forbidden = [hostname(), process.argv[1] ?? '', process.execPath, userInfo().homedir].filter((s) => s.length > 3);
    for (const value of forbidden) expect(text, value).not.toContain(value);
    for (const key of ['host.name', 'host.id', 'process.owner', 'process.command_args', 'process.executable.path', 'process.pid']) {
      expect(text).not.toContain(key);
    }
  });
});
