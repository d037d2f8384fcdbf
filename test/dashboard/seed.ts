/**
 * Seed data for the dashboard's browser tests: three scenarios over the last 29 days, with installations, versions,
 * platforms, levels and failures, sent through the collector's real upload route. Deterministic (a seeded PRNG)
 * relative to `now`; no event lies within an hour of a range edge the page uses (24h, 7d, 30d), so the page and an
 * API call made a few seconds apart count the same events.
 */
export interface SeedEvent {
  scenario: string;
  event: string;
  timestamp: string;
  installation_id: string;
  deployment_id: string;
  level?: string;
  details: Record<string, unknown>;
  id: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EDGES = [DAY, 7 * DAY, 30 * DAY];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ScenarioPlan {
  name: string;
  events: number;
  installations: number;
  names: readonly (readonly [event: string, weight: number])[];
}

export const SEED_PLAN: readonly ScenarioPlan[] = [
  { name: 'checkout-app', events: 1800, installations: 40, names: [['page_view', 50], ['add_to_cart', 20], ['checkout_started', 10], ['order_placed', 8], ['payment_failed', 3], ['crash', 1]] },
  { name: 'cli-tool', events: 700, installations: 15, names: [['command_run', 60], ['init', 10], ['update_check', 15], ['migration_failed', 2], ['export_done', 8]] },
  { name: 'worker', events: 300, installations: 5, names: [['job_done', 70], ['job_retry', 10], ['dependency_unreachable', 3]] },
];

const VERSIONS = ['1.4.2', '1.5.0', '2.0.0-beta.1', '2.0.0'];
const PLATFORMS = ['linux', 'darwin', 'win32'];

export function seedEvents(now: number, seed = 14): SeedEvent[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: SeedEvent[] = [];
  let n = 0;
  for (const plan of SEED_PLAN) {
    const installs = Array.from({ length: plan.installations }, (_, i) => ({
      id: `inst-${plan.name}-${String(i).padStart(3, '0')}`,
      platform: PLATFORMS[i % PLATFORMS.length]!,
      deployment: `deploy-${(i % 3) + 1}`,
      // When (how long ago) it upgraded to each next version: installations upgrade at their own pace, so the
      // version chart shows a rollout with several versions side by side.
      upgrades: [rnd() * 40 * DAY, rnd() * 25 * DAY, rnd() * 12 * DAY].sort((a, b) => b - a),
    }));
    const weightSum = plan.names.reduce((a, [, w]) => a + w, 0);
    for (let k = 0; k < plan.events; k++) {
      // More activity in recent days (growth), never within an hour of a range edge.
      let age: number;
      do age = Math.pow(rnd(), 1.6) * 29 * DAY + 60_000;
      while (EDGES.some((e) => Math.abs(age - e) < HOUR));
      const inst = pick(installs);
      let r = rnd() * weightSum;
      let event = plan.names[0]![0];
      for (const [name, w] of plan.names) {
        if ((r -= w) < 0) {
          event = name;
          break;
        }
      }
      const versionIndex = inst.upgrades.filter((u) => u > age).length;
      const e: SeedEvent = {
        scenario: plan.name,
        event,
        timestamp: new Date(now - age).toISOString(),
        installation_id: inst.id,
        deployment_id: inst.deployment,
        details: { version: VERSIONS[versionIndex]!, platform: inst.platform, ...(event === 'command_run' ? { command: pick(['build', 'deploy', 'test', 'lint']) } : {}) },
        id: `seed-${seed}-${n++}`,
      };
      if (event === 'crash') e.level = 'fatal';
      else if (event === 'payment_failed' || event === 'job_retry') e.level = event === 'job_retry' ? 'warn' : 'error';
      if (event === 'crash' || event.endsWith('_failed') || event === 'dependency_unreachable') e.details.error = { message: `${event} in ${plan.name}`, code: `E${100 + (n % 7)}` };
      out.push(e);
    }
  }
  return out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
}

/** Upload through the real route (JSON arrays of 500), and check that every event was stored. */
export async function seed(url: string, events: readonly SeedEvent[], token?: string): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const batch = events.slice(i, i + 500);
    const res = await fetch(`${url}/api/v1/telemetry/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(batch),
    });
    const body = (await res.json()) as { events_stored?: number };
    if (res.status !== 200 || body.events_stored !== batch.length) throw new Error(`seed upload failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}
