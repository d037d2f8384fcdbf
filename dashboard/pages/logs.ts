import { LEVEL_CHOICES, levelOfEvent } from '../../query/level.js';
import { api, streamLines, type StoredLine } from '../api.js';
import { h, fill } from '../dom.js';
import { count, dateTime } from '../format.js';
import { hashOf, type View } from '../route.js';
import { problem, section } from './common.js';

type ScenarioView = Extract<View, { page: 'scenario' }>;

/** Lines kept on the page: a search shows the newest this many matches; a live tail drops the oldest beyond it. */
const SHOWN = 200;

/** The route's `level` keeps that level and more severe ones (query/level.ts, as in the CLI's `logs --level`). */
const LEVELS: readonly (readonly [string, string])[] = [['', 'Any level'], ...LEVEL_CHOICES.map((l) => [l, l === 'fatal' ? l : `${l} and above`] as const)];

const SINCE: readonly (readonly [string, string])[] = [
  ['', 'All time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

/**
 * The log search: the events route (`GET /api/v1/telemetry/{scenario}/events`) with `level`, `search`
 * (case-insensitive here), `since` and `tail`, newest first; "Live tail" keeps a `follow=true` answer open and puts
 * each new matching line on top until stopped, the view changes or the collector ends the stream
 * (TELEMETRY_FOLLOW_MAX_MS). The filters are kept in the page's hash, so a search can be bookmarked.
 */
export function logSearch(view: ScenarioView, pageSignal: AbortSignal): { el: HTMLElement; mounted: () => void } {
  const level = h('select', { id: 'log-level', name: 'level' });
  for (const [v, t] of LEVELS) level.append(h('option', { value: v, selected: v === view.level }, t));
  const since = h('select', { id: 'log-since', name: 'since' });
  for (const [v, t] of SINCE) since.append(h('option', { value: v, selected: v === view.since }, t));
  const search = h('input', { id: 'log-search', name: 'search', type: 'search', value: view.search, placeholder: 'text in any field', autocomplete: 'off', spellcheck: 'false' });
  const live = h('button', { type: 'button', id: 'log-live', 'aria-pressed': 'false' }, 'Live tail');
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', id: 'log-status' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'logs', id: 'log-table' },
    h('thead', null, h('tr', null, ...['Time', 'Level', 'Event', 'Installation', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
  const form = h(
    'form',
    { class: 'controls', role: 'search', 'aria-label': 'Search the stored events' },
    h('div', { class: 'field grow' }, h('label', { for: 'log-search' }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: 'log-level' }, 'Level'), level),
    h('div', { class: 'field' }, h('label', { for: 'log-since' }, 'Time range'), since),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'log-submit' }, 'Search'), live),
  );
  const out = h('div', { class: 'log-out' });
  let running: AbortController | undefined;

  const params = (): URLSearchParams => {
    const p = new URLSearchParams({ tail: String(SHOWN) });
    if (level.value) p.set('level', level.value);
    if (search.value) {
      p.set('search', search.value);
      p.set('ignore_case', 'true');
    }
    if (since.value) p.set('since', since.value);
    return p;
  };

  const stop = (): void => {
    running?.abort();
    running = undefined;
    live.setAttribute('aria-pressed', 'false');
    live.textContent = 'Live tail';
  };

  const run = async (follow: boolean): Promise<void> => {
    stop();
    const ctrl = new AbortController();
    running = ctrl;
    const onPageAbort = (): void => ctrl.abort();
    pageSignal.addEventListener('abort', onPageAbort, { once: true });
    // The filters go into the hash without a hashchange (which would redraw the whole page).
    history.replaceState(null, '', hashOf({ ...view, level: level.value, search: search.value, since: since.value }));
    const p = params();
    if (follow) {
      p.set('follow', 'true');
      p.set('tail', '20');
      live.setAttribute('aria-pressed', 'true');
      live.textContent = 'Stop live tail';
    }
    body.replaceChildren();
    fill(out, table);
    let n = 0;
    status.textContent = follow ? 'Live: waiting for events…' : 'Searching…';
    const batch: StoredLine[] = [];
    try {
      await streamLines(api.eventsPath(view.scenario, p), (line) => {
        n++;
        if (follow) {
          body.prepend(row(line));
          while (body.rows.length > SHOWN) body.lastElementChild?.remove();
          status.textContent = `Live: ${count(n)} line${n === 1 ? '' : 's'} (newest first)`;
        } else {
          batch.push(line);
        }
      }, ctrl.signal);
      if (!follow) {
        // tail= answers oldest first; the newest match is shown on top.
        for (let i = batch.length - 1; i >= 0; i--) body.append(row(batch[i]!));
        status.textContent = n === 0 ? 'No matching events.' : `${count(n)} matching event${n === 1 ? '' : 's'}${n >= SHOWN ? ` (the newest ${SHOWN})` : ''}, newest first`;
      } else {
        status.textContent = `Live tail ended by the collector after ${count(n)} line${n === 1 ? '' : 's'} (TELEMETRY_FOLLOW_MAX_MS); start it again to continue.`;
      }
    } catch (err) {
      if (ctrl.signal.aborted) {
        if (follow && !pageSignal.aborted) status.textContent = `Live tail stopped (${count(n)} line${n === 1 ? '' : 's'}).`;
        return;
      }
      if (err instanceof Error && err.name === 'AuthRequiredError') throw err;
      status.textContent = '';
      if (err instanceof Error && 'status' in err && err.status === 404) fill(out, h('p', { class: 'empty' }, 'No events stored for this scenario.'));
      else fill(out, problem(err));
    } finally {
      pageSignal.removeEventListener('abort', onPageAbort);
      if (running === ctrl) {
        running = undefined;
        live.setAttribute('aria-pressed', 'false');
        live.textContent = 'Live tail';
      }
    }
  };

  const report = (p: Promise<void>): void => {
    p.catch((err: unknown) => window.dispatchEvent(new CustomEvent('dashboard:error', { detail: err })));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    report(run(false));
  });
  live.addEventListener('click', () => {
    if (running !== undefined && live.getAttribute('aria-pressed') === 'true') stop();
    else report(run(true));
  });

  const el = section('Log search', 'logs-title', form, status, out);
  return { el, mounted: () => report(run(false)) };
}

function row(line: StoredLine): HTMLTableRowElement {
  // The query engine's rule: a line's own level, else failure events are errors, else info.
  const level = levelOfEvent(line.event, line.level);
  const details = line.details && Object.keys(line.details).length > 0 ? JSON.stringify(line.details) : '';
  return h(
    'tr',
    { class: `level-${level}` },
    h('td', { class: 'nowrap' }, h('time', { datetime: line.ts }, dateTime(line.ts))),
    h('td', null, h('span', { class: `badge ${level}` }, level)),
    h('td', null, line.event),
    h('td', { class: 'mono inst', title: line.installation_id ?? '' }, line.installation_id ?? '–'),
    h('td', { class: 'mono details' }, details),
  );
}
