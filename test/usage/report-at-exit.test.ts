import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, ROOT, runNode, tmpDir } from '../helpers.js';

const app = join(import.meta.dirname, 'apps/counting-app.ts');
const register = join(ROOT, 'register.ts');

type Internals = { commands: Record<string, { count: number }>; metrics: Record<string, { count: number }> };
const reportsIn = (dir: string) =>
  readJsonl(join(dir, 'counting.jsonl'))
    .filter((l) => l.event === 'usage_report')
    .map((l) => (l.details as { product: { internals: Internals } }).product.internals);

function run(dir: string, env: Record<string, string>) {
  return runNode(app, { nodeArgs: ['--import', register], env: { TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'counting', ...env } });
}

describe('usage report at shutdown (child processes, zero-code register entry)', () => {
  const cases: [string, Record<string, string>, { code: number | null; signal: string | null }][] = [
    ['natural end', { EXIT_CODE: '3' }, { code: 3, signal: null }],
    ['process.exit(4)', { EXIT_MODE: 'exit', EXIT_CODE: '4' }, { code: 4, signal: null }],
    ['SIGTERM', { EXIT_MODE: 'sigterm' }, { code: null, signal: 'SIGTERM' }],
    ['uncaught exception', { EXIT_MODE: 'throw', TELEMETRY_CAPTURE_CRASHES: 'false' }, { code: 1, signal: null }],
  ];
  it.each(cases)('%s: one usage_report with the counts, exit status unchanged', async (_name, env, expected) => {
    const dir = tmpDir();
    const r = await run(dir, { TELEMETRY_ENABLED: 'true', ...env });
    expect({ code: r.code, signal: r.signal }).toEqual(expected);
    expect(reportsIn(dir)).toEqual([
      expect.objectContaining({ commands: { CreateOrder: { count: 3 } }, metrics: { exports: { count: 2 } } }),
    ]);
    // Everything reported: nothing left to carry over.
    expect(existsSync(join(dir, 'usage-counters.json'))).toBe(false);
  });

  it('counts saved before a SIGKILL are not lost: the next run reports them (Camunda loses them)', async () => {
    const dir = tmpDir();
    const crashed = await run(dir, { TELEMETRY_ENABLED: 'true', EXIT_MODE: 'crash-after-save', TELEMETRY_COUNTER_FLUSH_INTERVAL_MS: '1000', COMMAND: 'BeforeCrash', COMMANDS: '5' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(reportsIn(dir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'usage-counters.json'), 'utf8'))).toEqual({ commands: { BeforeCrash: 5 }, metrics: { exports: 2 } });

    const next = await run(dir, { TELEMETRY_ENABLED: 'true', COMMAND: 'AfterRestart', COMMANDS: '1' });
    expect(next.code).toBe(0);
    expect(reportsIn(dir)).toEqual([
      expect.objectContaining({ commands: { AfterRestart: { count: 1 }, BeforeCrash: { count: 5 } }, metrics: { exports: { count: 4 } } }),
    ]);
  });

  it('with telemetry off (the default) nothing is sent or written, yet getTelemetryData() answers', async () => {
    const dir = tmpDir();
    const r = await run(dir, { PRINT_DATA: '1', EXIT_MODE: 'exit' });
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as { product: { internals: Internals } };
    expect(data.product.internals.commands).toEqual({ CreateOrder: { count: 3 } });
    expect(readdirSync(dir)).toEqual([]);

    const dnt = await run(dir, { TELEMETRY_ENABLED: 'true', DO_NOT_TRACK: '1' });
    expect(dnt.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
