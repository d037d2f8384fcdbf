import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, runNode, tmpDir, ROOT } from '../helpers.js';

// These run the BUILT package (dist/, made by `npm test`'s pretest) the way users do: `node --import
// otel-product-telemetry/register` or `--require`, resolved by package self-reference from the repo root.
const plainApp = join(ROOT, 'examples/nodesdk/plain-app.mjs');

describe('register entry: flush on every way out, exit status unchanged', () => {
  const cases: [string, Record<string, string>, { code: number | null; signal: string | null }][] = [
    ['natural end (beforeExit)', { EXIT_CODE: '3' }, { code: 3, signal: null }],
    ['process.exit(4)', { EXIT_MODE: 'exit', EXIT_CODE: '4' }, { code: 4, signal: null }],
    ['SIGTERM', { EXIT_MODE: 'sigterm' }, { code: null, signal: 'SIGTERM' }],
    ['SIGINT', { EXIT_MODE: 'sigint' }, { code: null, signal: 'SIGINT' }],
    ['uncaught exception', { EXIT_MODE: 'throw' }, { code: 1, signal: null }],
  ];
  for (const loader of ['--import', '--require']) {
    it.each(cases)(`${loader}: %s`, async (_name, env, expected) => {
      const dir = tmpDir();
      const r = await runNode(plainApp, { nodeArgs: [loader, 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'plain', EVENTS: '25', ...env } });
      expect({ code: r.code, signal: r.signal }).toEqual(expected);
      const lines = readJsonl(join(dir, 'plain.jsonl'));
      const events = lines.filter((l) => l.event === 'plain_event');
      expect(events.map((l) => (l.details as { n: number }).n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      // Crash capture is on by default with the register entry: the uncaught exception leaves one crash line.
      expect(lines.filter((l) => l.event === 'crash')).toHaveLength(env.EXIT_MODE === 'throw' ? 1 : 0);
      if (env.EXIT_MODE === 'throw') expect(r.stderr).toContain('uncaught on purpose');
    });
  }

  it('with telemetry off (the default) writes nothing and changes nothing', async () => {
    const dir = tmpDir();
    const r = await runNode(plainApp, { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'plain', EXIT_CODE: '0' } });
    expect(r.code).toBe(0);
    expect(readJsonl(join(dir, 'plain.jsonl'))).toEqual([]);
  });

  it('never stops the host on an invalid variable: said once on stderr, naming it, and telemetry stays off', async () => {
    const dir = tmpDir();
    const r = await runNode(plainApp, { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'perhaps', TELEMETRY_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/TELEMETRY_ENABLED="perhaps"/g)).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });
});

describe('several pipelines in one process', () => {
  it('the register entry and an app pipeline share one set of exit hooks: SIGTERM still ends the process, both flushed', async () => {
    const dir = tmpDir();
    const r = await runNode(join(import.meta.dirname, 'apps/two-pipelines.mjs'), { nodeArgs: ['--import', 'otel-product-telemetry/register'], env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir }, timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.signal).toBe('SIGTERM');
    expect(readJsonl(join(dir, 'from-register.jsonl')).map((l) => l.event)).toEqual(['before_second_pipeline']);
    expect(readJsonl(join(dir, 'second.jsonl')).map((l) => l.event)).toContain('in_second_pipeline');
  });
});

describe('NodeSDK drop-in', () => {
  it('examples/nodesdk/app.mjs records through NodeSDK and the lines are there after sdk.shutdown()', async () => {
    const dir = tmpDir();
    const r = await runNode(join(ROOT, 'examples/nodesdk/app.mjs'), { env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ enabled: true, dir, scenario: 'nodesdk-example' });
    const lines = readJsonl(join(dir, 'nodesdk-example.jsonl'));
    expect(lines.map((l) => l.event)).toEqual(['app_start', 'ready', 'didCreateEntry', 'crash']);
    expect(lines[0]).toMatchObject({ deployment_id: 'deploy-123', details: { version: '1.0.0' } });
    expect(lines[2]).toMatchObject({ details: { model: 'article', app: 'my-app-guid', groupProperties: { locales: 2 } } });
    expect(lines[3]).toMatchObject({ level: 'fatal', details: { type: 'SyntaxError' } });
  });

  it('CommonJS consumers can require the package', async () => {
    const dir = tmpDir();
    const script = join(dir, 'cjs-app.cjs');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(script, `
      const { productTelemetry, telemetry } = require(${JSON.stringify(join(ROOT, 'dist/index.cjs'))});
      const { LoggerProvider } = require('@opentelemetry/sdk-logs');
      const { logs } = require('@opentelemetry/api-logs');
      const pt = productTelemetry({ enabled: true, dir: ${JSON.stringify(dir)}, scenario: 'cjs' });
      const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
      logs.setGlobalLoggerProvider(provider);
      telemetry.event({ event: 'from_cjs' }).then(() => provider.shutdown());
    `);
    const r = await runNode(script, { env: { NODE_PATH: join(ROOT, 'node_modules') } });
    expect(r.stderr).toBe('');
    expect(readJsonl(join(dir, 'cjs.jsonl')).map((l) => l.event)).toEqual(['from_cjs']);
  });
});
