import type { InsightsAnswer } from '../../query/insights/types.js';
import { ApiError, api, type ScenarioSummary } from '../api.js';
import { lines, palette, stackedBars } from '../charts.js';
import { h, select } from '../dom.js';
import { ago, count, dateTime, installations, percent } from '../format.js';
import { autoBucket, GROUPINGS, hashOf, rangeTimes, type Range, type View } from '../route.js';
import { BUCKET_OPTIONS, problem, RANGE_LABELS, RANGE_OPTIONS, section, settle, stat, type Page, type Settled } from './common.js';
import { logSearch } from './logs.js';

type ScenarioView = Extract<View, { page: 'scenario' }>;

const GROUP_LABELS: Record<string, string> = { event: 'Event', level: 'Level', version: 'Version (details.version)', platform: 'Platform (details.platform)', deployment_id: 'Deployment' };

/**
 * One scenario: its numbers over the range, events over time stacked by the chosen grouping, installations and
 * failures over time, version and platform breakdowns, top events, recent failures and the log search.
 */
export async function scenarioPage(view: ScenarioView, signal: AbortSignal): Promise<Page> {
  const { scenario, range } = view;
  const bucket = view.bucket === 'auto' ? autoBucket(range) : view.bucket;
  const times = rangeTimes(range);
  // Breakdowns use the chart's bucket too: the answer's range is aligned to whole buckets, so another bucket would
  // count over another range and the tables would not add up to the numbers above.
  const [summary, main, versions, platforms, events] = await Promise.all([
    settle(api.summary(scenario, signal)),
    settle(api.insights(scenario, { ...times, bucket, by: view.by, top: 10 }, signal)),
    settle(api.insights(scenario, { ...times, bucket, by: 'version', top: 10 }, signal)),
    settle(api.insights(scenario, { ...times, bucket, by: 'platform', top: 10 }, signal)),
    view.by === 'event' ? Promise.resolve(undefined) : settle(api.insights(scenario, { ...times, bucket, by: 'event', top: 10 }, signal)),
  ]);
  for (const r of [summary, main, versions, platforms, events]) if (r && !r.ok && r.error instanceof Error && r.error.name === 'AuthRequiredError') throw r.error;

  const root = h('div', { class: 'page' });
  const go = (change: Partial<ScenarioView>): void => {
    location.hash = hashOf({ ...view, ...change });
  };
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: hashOf({ page: 'overview', range }) }, '← All scenarios')),
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, scenario)),
  );
  if (!summary.ok && summary.error instanceof ApiError && summary.error.status === 404) {
    root.append(problem(summary.error));
    return { el: root };
  }
  const controls = h(
    'form',
    { class: 'controls', 'aria-label': 'Chart settings' },
    select('group-by', 'Group by', groupingOptions(view.by), view.by, (v) => go({ by: v })),
    select('range', 'Range', RANGE_OPTIONS, range, (v) => go({ range: v as Range })),
    select('bucket', 'Bucket', BUCKET_OPTIONS, view.bucket, (v) => go({ bucket: v as ScenarioView['bucket'] })),
  );
  controls.addEventListener('submit', (e) => e.preventDefault());
  root.append(controls);

  const stats = h('dl', { class: 'stats wide' });
  if (main.ok) {
    // The range as the collector applied it (aligned to whole buckets); the tests ask the API for exactly this range.
    stats.setAttribute('data-from', main.value.from);
    stats.setAttribute('data-to', main.value.to);
    stats.setAttribute('title', `Counted from ${dateTime(main.value.from)} to ${dateTime(main.value.to)} (whole ${main.value.bucket}s, UTC)`);
    stats.append(
      stat('events', `Events, ${RANGE_LABELS[range]}`, count(main.value.total_events)),
      stat('installations', 'Active installations', installations(main.value.installations), main.value.installations.estimated ? 'estimated (more ids than are counted exactly)' : undefined),
      stat('failures', 'Failures', count(main.value.failures)),
    );
  }
  if (summary.ok) {
    stats.append(stat('total', 'All time', count(summary.value.total_events)));
    if (summary.value.last_event) stats.append(stat('last', 'Last event', ago(summary.value.last_event), dateTime(summary.value.last_event)));
  }
  root.append(stats);

  const draw: (() => void)[] = [];
  const eventsBox = h('div', { class: 'chart', id: 'events-chart' });
  const usersBox = h('div', { class: 'chart', id: 'installations-chart' });
  if (main.ok) {
    const a = main.value;
    eventsBox.setAttribute('role', 'img');
    eventsBox.setAttribute('aria-label', `Events per ${a.bucket}, stacked by ${a.by}; the tables below hold the same numbers`);
    root.append(section(`Events by ${GROUP_LABELS[a.by] ?? a.by}, per ${a.bucket}`, 'events-title', eventsBox, a.total_events === 0 ? h('p', { class: 'empty' }, `No events in the ${RANGE_LABELS[range]}.`) : null));
    root.append(section(`Installations and failures, per ${a.bucket}`, 'installations-title', usersBox));
    const starts = a.buckets.map((b) => b.start);
    draw.push(() => void stackedBars(eventsBox, '', starts, a.groups, a.groups.map((g) => a.buckets.map((b) => b.counts[g] ?? 0))));
    draw.push(
      () =>
        void lines(usersBox, '', starts, [
          { label: 'Installations', values: a.buckets.map((b) => b.installations.count), color: palette(0) },
          { label: 'Failures', values: a.buckets.map((b) => b.failures), color: palette(2) },
        ]),
    );
  } else {
    root.append(section('Events over time', 'events-title', problem(main.error)));
  }

  const breakdowns = h('div', { class: 'columns' });
  breakdowns.append(
    section('Versions', 'versions-title', breakdown(versions, 'version')),
    section('Platforms', 'platforms-title', breakdown(platforms, 'platform')),
    section('Top events', 'top-events-title', breakdown(events ?? main, 'event')),
  );
  root.append(breakdowns);
  if (summary.ok) root.append(failuresSection(summary.value));
  const logs = logSearch(view, signal);
  root.append(logs.el);
  return { el: root, mounted: () => {
    draw.forEach((d) => d());
    logs.mounted();
  } };
}

function groupingOptions(by: string): (readonly [string, string])[] {
  const opts: (readonly [string, string])[] = GROUPINGS.map((g) => [g, GROUP_LABELS[g] ?? g] as const);
  if (!(GROUPINGS as readonly string[]).includes(by)) opts.push([by, `details.${by}`]);
  return opts;
}

/** Totals per group over the range: name, count and share (a <meter>: a native element, no chart code). */
function breakdown(r: Settled<InsightsAnswer>, kind: string): HTMLElement {
  if (!r.ok) return problem(r.error);
  const a = r.value;
  if (a.total_events === 0) return h('p', { class: 'empty' }, 'No events in this range.');
  const body = h('tbody');
  for (const g of a.groups) {
    const n = a.totals[g] ?? 0;
    body.append(
      h(
        'tr',
        { 'data-group': g },
        h('th', { scope: 'row' }, g),
        h('td', { class: 'num', 'data-count': '' }, count(n)),
        h('td', { class: 'share' }, h('meter', { min: 0, max: a.total_events, value: n, 'aria-label': `${g}: ${percent(n, a.total_events)}` }), ` ${percent(n, a.total_events)}`),
      ),
    );
  }
  return h('div', { class: 'table-wrap' }, h('table', { 'data-breakdown': kind }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, kind), h('th', { scope: 'col', class: 'num' }, 'Events'), h('th', { scope: 'col' }, 'Share'))), body));
}

function failuresSection(s: ScenarioSummary): HTMLElement {
  const names = Object.keys(s.failure_counts).sort((x, y) => (s.failure_counts[y] ?? 0) - (s.failure_counts[x] ?? 0) || (x < y ? -1 : 1));
  if (names.length === 0) return section('Recent failures', 'failures-title', h('p', { class: 'empty' }, 'No failures stored.'));
  const counts = h('p', { class: 'muted' }, 'All time: ', names.map((n) => `${n} ${count(s.failure_counts[n] ?? 0)}`).join(', '));
  const list = h('ol', { class: 'failures', 'data-list': 'recent-failures' });
  for (const f of s.recent_failures) {
    list.append(
      h(
        'li',
        null,
        h('time', { datetime: f.timestamp }, dateTime(f.timestamp)),
        ' ',
        h('strong', null, f.event),
        f.details && Object.keys(f.details).length > 0 ? h('details', null, h('summary', null, 'Details'), h('pre', null, JSON.stringify(f.details, null, 2))) : null,
      ),
    );
  }
  return section('Recent failures', 'failures-title', counts, list);
}
