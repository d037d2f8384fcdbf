import type { InsightsAnswer } from '../../query/insights/types.js';
import { api, type ScenarioSummary } from '../api.js';
import { palette, sparkline } from '../charts.js';
import { h, select } from '../dom.js';
import { ago, count, dateTime, installations } from '../format.js';
import { autoBucket, hashOf, rangeTimes, type Range } from '../route.js';
import { problem, RANGE_LABELS, RANGE_OPTIONS, settle, stat, type Page, type Settled } from './common.js';

/**
 * The overview: every scenario with its events, active installations and failures over the chosen range (from the
 * insights route), its all-time total and last event (from the summaries), and a sparkline of events.
 */
export async function overview(range: Range, signal: AbortSignal): Promise<Page> {
  const { scenarios } = await api.summaries(signal);
  // Failures come before the insights: an AuthRequiredError must reach the token prompt, not a card.
  const times = rangeTimes(range);
  // A scenario known only from OTLP traces has no stored events, and so no insights (the route answers 404).
  const answers = await Promise.all(scenarios.map((s) => (s.total_events === 0 ? Promise.resolve(undefined) : settle(api.insights(s.scenario, { ...times, bucket: autoBucket(range), by: 'event', top: 1 }, signal)))));
  const rethrow = answers.find((a) => a !== undefined && !a.ok && a.error instanceof Error && a.error.name === 'AuthRequiredError');
  if (rethrow && !rethrow.ok) throw rethrow.error;

  const root = h('div', { class: 'page' });
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', { tabindex: -1 }, 'Scenarios'),
      select('overview-range', 'Range', RANGE_OPTIONS, range, (v) => {
        location.hash = hashOf({ page: 'overview', range: v as Range });
      }),
    ),
  );
  if (scenarios.length === 0) {
    root.append(h('p', { class: 'empty' }, 'No events stored yet. Send some with the upload route, OTLP or an app using this package; they appear here.'));
    return { el: root };
  }
  root.append(h('p', { class: 'muted', 'data-stat': 'scenario-count' }, `${count(scenarios.length)} scenario${scenarios.length === 1 ? '' : 's'}, ${RANGE_LABELS[range]}`));
  const grid = h('ul', { class: 'grid', role: 'list' });
  const spark: (() => void)[] = [];
  scenarios.forEach((s, i) => grid.append(card(s, answers[i]!, i, spark, range)));
  root.append(grid);
  // Sparklines are drawn once the cards are in the page (their width is the card's).
  return { el: root, mounted: () => spark.forEach((draw) => draw()) };
}

function card(s: ScenarioSummary, a: Settled<InsightsAnswer> | undefined, i: number, spark: (() => void)[], range: Range): HTMLElement {
  const link = h('a', { href: hashOf({ page: 'scenario', scenario: s.scenario, range, by: 'event', bucket: 'auto', level: '', search: '', since: '' }) }, s.scenario);
  const li = h('li', { class: 'card scenario-card', 'data-scenario': s.scenario }, h('h2', null, link));
  const stats = h('dl', { class: 'stats' });
  if (a?.ok) {
    const v = a.value;
    stats.setAttribute('data-from', v.from);
    stats.setAttribute('data-to', v.to);
    stats.setAttribute('title', `Counted from ${dateTime(v.from)} to ${dateTime(v.to)} (whole ${v.bucket}s, UTC)`);
    stats.append(
      stat('events', 'Events', count(v.total_events)),
      stat('installations', 'Installations', installations(v.installations), v.installations.estimated ? 'estimated (more ids than are counted exactly)' : undefined),
      stat('failures', 'Failures', count(v.failures)),
    );
  }
  stats.append(stat('total', 'All time', count(s.total_events)));
  li.append(stats);
  if (a === undefined) {
    li.append(h('p', { class: 'muted small' }, s.commands ? `Usage from traces only: ${count(Object.keys(s.commands).length)} commands` : 'No events stored'));
  } else if (a.ok) {
    const box = h('div', { class: 'spark', role: 'img', 'aria-label': `Events per ${a.value.bucket} in the ${RANGE_LABELS[range]}` });
    li.append(box);
    spark.push(() => void sparkline(box, a.value.buckets.map((b) => b.start), a.value.buckets.map((b) => b.total), palette(i), s.scenario));
  } else {
    li.append(problem(a.error));
  }
  li.append(h('p', { class: 'muted small' }, s.last_event ? h('span', null, 'Last event ', h('time', { datetime: s.last_event, title: dateTime(s.last_event) }, ago(s.last_event))) : 'No events stored'));
  return li;
}
