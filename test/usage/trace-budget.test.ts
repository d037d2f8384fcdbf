import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACE_USAGE_FILE } from '../../collector/usage/TraceUsageBook.js';
import { collector } from '../server/setup.js';
import { cleanEnv, ROOT, SERVE_ARGS, tmpDir } from '../helpers.js';

/** One OTLP/JSON traces request: `scenarios` resources, each with one entry span named after request `i`. */
function body(i: number, scenarios: number): string {
  const resourceSpans = [];
  for (let s = 0; s < scenarios; s++) {
    resourceSpans.push({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${s}` } }] },
      scopeSpans: [{ spans: [{ traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', name: `cmd-${i}-`.padEnd(128, 'x'), kind: 2 }] }],
    });
  }
  return JSON.stringify({ resourceSpans });
}

const post = (url: string, b: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });

describe('trace usage: byte budget, saves off the request path', () => {
  it('filling names stops at the budget (partialSuccess), a 1-span request stays fast, the summary stays bounded', async () => {
    const budget = 1024 * 1024;
    const c = await collector({ traceUsageMaxBytes: budget, traceUsageSaveIntervalMs: 50 });
    let partial = 0;
    for (let i = 0; i < 12; i++) {
      const answer = (await (await post(c.url, body(i, 1000))).json()) as { partialSuccess?: { errorMessage: string } };
      if (answer.partialSuccess) {
        partial++;
        expect(answer.partialSuccess.errorMessage).toMatch(/TELEMETRY_TRACE_USAGE_MAX_BYTES/);
      }
    }
    expect(partial).toBeGreaterThan(0);
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      expect((await post(c.url, body(100 + k, 1))).status).toBe(200);
      times.push(performance.now() - t);
    }
    expect(Math.min(...times)).toBeLessThan(200);
    const t = performance.now();
    const summary = await (await fetch(`${c.url}/api/v1/telemetry`)).text();
    expect(performance.now() - t).toBeLessThan(2000);
    expect(summary.length).toBeLessThan(budget + 200_000); // the store's part of each summary on top
    await new Promise((r) => setTimeout(r, 300));
    expect(statSync(join(c.dir, TRACE_USAGE_FILE)).size).toBeLessThanOrEqual(budget);
  });

  it('counts survive a restart of the collector process (saved at SIGTERM, within the save interval)', async () => {
    const dir = tmpDir('budget-restart-');
    const start = async () => {
      const child = spawn(process.execPath, [...SERVE_ARGS], {
        cwd: ROOT,
        env: cleanEnv({ NO_COLOR: '1', TELEMETRY_DIR: dir, TELEMETRY_PORT: '0', TELEMETRY_TRACE_USAGE_SAVE_INTERVAL_MS: '600000' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const t0 = Date.now();
      while (!/listening on (http:\/\/\S+)/.test(out)) {
        if (Date.now() - t0 > 20_000 || child.exitCode !== null) throw new Error(`collector did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return { url: /listening on (http:\/\/\S+)/.exec(out)![1]!, child, exited };
    };
    const a = await start();
    for (let i = 0; i < 3; i++) await post(a.url, body(0, 2)); // the first save is at once, the later ones wait
    for (let i = 0; i < 2; i++) await post(a.url, body(1, 2));
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const b = await start();
    try {
      const s = (await (await fetch(`${b.url}/api/v1/telemetry/svc-1`)).json()) as { commands: Record<string, number> };
      expect(s.commands).toEqual({ ['cmd-0-'.padEnd(128, 'x')]: 3, ['cmd-1-'.padEnd(128, 'x')]: 2 });
    } finally {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });
});
