import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TelemetryLine } from '../../core/record.js';
import { computeInsights } from '../../query/insights/compute.js';
import { parseInsightsParams, type InsightsParams } from '../../query/insights/params.js';
import type { InsightsAnswer } from '../../query/insights/types.js';
import { ROOT, runNode, type RunResult } from '../helpers.js';

// Shared by the insights end-to-end tests (insights.test.ts: a data dir; insightsUrl.test.ts: a collector).

export const BUILT = join(ROOT, 'dist', 'cli.cjs');
export const APP = join(import.meta.dirname, 'apps', 'record-events.mjs');
export const NEUTRAL = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'dumb', COLUMNS: undefined };

export function insights(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runNode(BUILT, { args: ['insights', ...args], env: { ...NEUTRAL, ...env }, timeoutMs: 60_000 });
}

/** A seeded generator: the same events every run, so a failure can be reproduced. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = ['app_start', 'command_run', 'command_run', 'command_run', 'export', 'migration_failed', 'dependency_unreachable', 'shutdown'];
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0-beta'];
const PLATFORMS = ['linux', 'darwin', 'win32'];
export const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

/** Events over 20 days from 2025-01-01: versions roll out over time; some without a platform; two deployments. */
export function makeEvents(n: number, seed: number): Record<string, unknown>[] {
  const rnd = random(seed);
  return Array.from({ length: n }, () => {
    const t = T0 + Math.floor(rnd() * 20 * DAY);
    const day = (t - T0) / DAY;
    const version = VERSIONS[Math.min(VERSIONS.length - 1, Math.floor((day + rnd() * 6) / 6))];
    const e: Record<string, unknown> = { event: EVENTS[Math.floor(rnd() * EVENTS.length)], timestamp: new Date(t).toISOString(), version };
    if (rnd() < 0.8) e.platform = PLATFORMS[Math.floor(rnd() * PLATFORMS.length)];
    if (rnd() < 0.5) e.deployment_id = rnd() < 0.5 ? 'deploy-a' : 'deploy-b';
    if (rnd() < 0.1) e.retries = Math.floor(rnd() * 3);
    return e;
  });
}

/** Every stored line of the files, in order, skipping what does not parse (the CLI warns about those). */
export function linesOf(files: string[]): TelemetryLine[] {
  const out: TelemetryLine[] = [];
  for (const f of files) {
    for (const text of readFileSync(f, 'utf8').split('\n')) {
      try {
        const v = JSON.parse(text) as TelemetryLine;
        if (v !== null && typeof v === 'object' && typeof v.event === 'string') out.push(v);
      } catch {
        // torn or empty
      }
    }
  }
  return out;
}

export function expected(scenario: string, params: InsightsParams, lines: TelemetryLine[], now?: number, failureEvents?: string[]): Promise<InsightsAnswer> {
  return computeInsights(parseInsightsParams(scenario, params, now), lines, failureEvents ? { failureEvents } : {});
}

/** The CLI's options for the route's parameters. */
export function argsOf(p: InsightsParams): string[] {
  const names: Record<keyof InsightsParams, string> = { from: '--since', to: '--until', bucket: '--bucket', by: '--by', event: '--event', top: '--top' };
  return Object.entries(p).flatMap(([k, v]) => [names[k as keyof InsightsParams], String(v)]);
}

export const CASES: InsightsParams[] = [
  { from: '2024-12-30', to: '2025-01-25', by: 'version' },
  { from: '2025-01-01', to: '2025-01-21', by: 'platform', bucket: 'week', top: '1' },
  { from: '2025-01-03T06:00:00Z', to: '2025-01-08T18:00:00Z', by: 'event', bucket: 'hour', event: 'command_run' },
  { from: '2025-01-01', to: '2025-01-21', by: 'level' },
  { from: '2025-01-01', to: '2025-01-21', by: 'deployment_id', top: '1' },
  { from: '2025-01-01', to: '2025-01-21', by: 'retries', bucket: 'week' },
  { from: '2025-01-01', to: '2025-01-21', by: 'no_such_key' },
  { from: '2025-01-10T00:00:00Z', to: '2025-01-10T12:00:00Z', bucket: 'minute', event: 'export' },
];

/** Why the built CLI cannot be run, if it cannot. */
export const skipBuilt: string | undefined = existsSync(BUILT) ? undefined : `${BUILT} is missing: run npm run build first`;
