import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readJsonl, runNode, tmpDir, ROOT } from '../helpers.js';

const app = join(ROOT, 'test/crash/crash-app.mjs');

async function run(mode: string, env: Record<string, string> = {}, withTelemetry = true) {
  const dir = tmpDir();
  const r = await runNode(app, {
    nodeArgs: withTelemetry ? ['--import', 'otel-product-telemetry/register'] : [],
    env: { CRASH_MODE: mode, TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'crashy', ...env },
  });
  const crashes = readJsonl(join(dir, 'crashy.jsonl')).filter((l) => l.event === 'crash');
  return { ...r, crashes };
}

describe('captureCrashes through the register entry (child processes)', () => {
  it.each([
    ['throw', { code: 1, signal: null }, 'uncaught on purpose', 'uncaughtException'],
    ['reject', { code: 1, signal: null }, 'rejected on purpose', 'unhandledRejection'],
    ['handler-exit', { code: 7, signal: null }, 'handled then exit 7', 'uncaughtException'],
    ['sigterm', { code: null, signal: 'SIGTERM' }, 'survived, then SIGTERM', 'uncaughtException'],
    ['non-error', { code: 1, signal: null }, 'non-error thrown: {"weird":true}', 'uncaughtException'],
  ])('%s: exactly one crash line, same exit status and stderr as without telemetry', async (mode, status, message, origin) => {
    const plain = await run(mode, {}, false);
    const traced = await run(mode);
    expect({ code: plain.code, signal: plain.signal }).toEqual(status);
    expect({ code: traced.code, signal: traced.signal }).toEqual(status);
    expect(traced.stderr).toBe(plain.stderr);
    expect(traced.crashes).toHaveLength(1);
    expect(traced.crashes[0]).toMatchObject({ event: 'crash', level: 'fatal', details: { message, origin } });
  });

  it('records nothing outside production, and still crashes the same way', async () => {
    const r = await run('throw', { TELEMETRY_ENVIRONMENT: 'development' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('uncaught on purpose');
    expect(r.crashes).toHaveLength(0);
  });

  it('records nothing when telemetry is off or capture is switched off', async () => {
    expect((await run('throw', { TELEMETRY_ENABLED: 'false' })).crashes).toHaveLength(0);
    const off = await run('throw', { TELEMETRY_CAPTURE_CRASHES: 'false' });
    expect(off.code).toBe(1);
    expect(off.crashes).toHaveLength(0);
  });
});
