import Table from 'cli-table3';
import { buildSummaries, collectorSettings, type ScenarioSummary } from '../../collector/index.js';
import { resolveSettings } from '../../core/settings.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { resolveDir } from '../options.js';
import { printable } from '../../core/sanitize.js';
import type { SummaryCliOptions } from './summary.js';

/** `summary`: offline from the files (the collector's own summary code), or from `GET /api/v1/telemetry`. */
export async function runSummary(ctx: CliContext, scenario: string | undefined, o: SummaryCliOptions): Promise<void> {
  let scenarios: ScenarioSummary[];
  if (o.url !== undefined) {
    scenarios = await fetchSummaries(o.url, scenario, o.token);
  } else {
    const dir = resolveDir(o.dir, ctx.env);
    // Only the two settings summaries use: an unrelated collector variable must not stop an offline read.
    const s = resolveSettings({ failureEvents: collectorSettings.failureEvents, recentFailures: collectorSettings.recentFailures }, {}, ctx.env);
    const all = await buildSummaries(dir, {
      failureEvents: s.failureEvents,
      recentFailures: s.recentFailures,
      onInvalid: (file, line) => ctx.warn(`${file}:${line}: torn or invalid line skipped`),
    });
    scenarios = scenario === undefined ? all : all.filter((x) => x.scenario === scenario);
    if (scenario !== undefined && (scenarios.length === 0 || scenarios[0]!.total_events === 0)) throw new CliError(`no events for scenario "${scenario}" in ${dir}`);
  }
  if (o.format === 'json') {
    const body = scenario === undefined ? { scenarios, total_scenarios: scenarios.length } : scenarios[0];
    ctx.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return;
  }
  printTables(ctx, scenarios, scenario !== undefined);
}

async function fetchSummaries(base: string, scenario: string | undefined, token: string | undefined): Promise<ScenarioSummary[]> {
  const url = `${base}/api/v1/telemetry${scenario === undefined ? '' : `/${encodeURIComponent(scenario)}`}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new CliError(`cannot reach the collector at ${base}: ${e.cause?.code ?? e.message}`, { cause: err });
  }
  const text = await res.text();
  if (res.status === 401) throw new CliError(`the collector at ${base} answered 401 Unauthorized: pass --token or set TELEMETRY_AUTH_TOKEN`);
  if (res.status === 404 && scenario !== undefined) throw new CliError(`the collector at ${base} has no events for scenario "${scenario}"`);
  if (!res.ok) throw new CliError(`the collector at ${base} answered ${res.status}: ${text.slice(0, 300)}`);
  try {
    const body = JSON.parse(text) as { scenarios?: ScenarioSummary[] } & ScenarioSummary;
    return scenario === undefined ? (body.scenarios ?? []) : [body];
  } catch {
    throw new CliError(`the collector at ${base} sent something that is not JSON: ${text.slice(0, 120)}`);
  }
}

const PLAIN = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' };

function printTables(ctx: CliContext, scenarios: ScenarioSummary[], withRecent: boolean): void {
  const p = ctx.paint;
  const t = new Table({ head: ['SCENARIO', 'EVENTS', 'LAST EVENT', 'FAILURES'].map((h) => p('bold', h)), chars: PLAIN, style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [], compact: true } });
  for (const s of scenarios) {
    const failures = Object.entries(s.failure_counts)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([name, n]) => printable(`${name} ${String(n)}`))
      .join(', ');
    // Names and times come from stored events (anyone can upload) or a collector: shown, never obeyed.
    t.push([printable(String(s.scenario)), printable(String(s.total_events)), printable(String(s.last_event ?? '-')), failures === '' ? p('green', 'none') : p('red', failures)]);
  }
  let text = t.toString();
  if (withRecent && scenarios[0] !== undefined) {
    const r = new Table({ head: ['TIME', 'FAILURE', 'DETAILS'].map((h) => p('bold', h)), chars: PLAIN, colWidths: [26, 26, 70], wordWrap: false, style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [], compact: true } });
    for (const f of scenarios[0].recent_failures) r.push([printable(String(f.timestamp)), printable(String(f.event)), f.details === undefined ? '' : printable(JSON.stringify(f.details)).slice(0, 70)]);
    text += `\n\n${p('bold', 'Recent failures')} (newest first)\n` + (scenarios[0].recent_failures.length > 0 ? r.toString() : 'none');
  }
  if (scenarios.length === 0) text += '\n(no scenarios stored yet)';
  ctx.stdout.write(text.replace(/[ \t]+$/gm, '') + '\n');
}
