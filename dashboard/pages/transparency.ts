import { api } from '../api.js';
import { h, type Child } from '../dom.js';
import { section, settle, type Page } from './common.js';

/**
 * What this collector's own installation reports about itself (`GET /telemetry/data`, the data a usage report
 * would carry; reading it sends nothing) and the consent state of its data dir (`GET /telemetry/configuration`).
 */
export async function transparencyPage(signal: AbortSignal): Promise<Page> {
  const [data, consent] = await Promise.all([settle(api.telemetryData(signal)), settle(api.configuration(signal))]);
  for (const r of [data, consent]) if (!r.ok && r.error instanceof Error && r.error.name === 'AuthRequiredError') throw r.error;
  const root = h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Transparency')));
  if (consent.ok) {
    const on = consent.value.enableTelemetry;
    root.append(
      section(
        'Consent',
        'consent-title',
        h('p', null, 'Telemetry for this collector’s data dir is ', h('strong', { 'data-stat': 'consent', class: on ? 'on' : 'off' }, on ? 'on' : 'off'), '.'),
        h(
          'p',
          { class: 'muted' },
          'This is the effective state (',
          h('code', null, 'DO_NOT_TRACK'),
          ' in the collector’s environment forces it off). Apps and the CLI on the same dir read it from ',
          h('code', null, 'consent.json'),
          '; it changes with ',
          h('code', null, 'POST /telemetry/configuration'),
          ' (the admin token when one is set).',
        ),
      ),
    );
  } else {
    root.append(section('Consent', 'consent-title', h('p', { class: 'problem' }, String((consent.error as Error).message))));
  }
  if (data.ok) {
    root.append(
      section(
        'What this installation reports',
        'data-title',
        h('p', { class: 'muted' }, 'The data a usage report of this collector would carry, read now (nothing is sent by reading it).'),
        tree(data.value),
        h('details', null, h('summary', null, 'Raw JSON'), h('pre', { id: 'telemetry-json' }, JSON.stringify(data.value, null, 2))),
      ),
    );
  } else {
    root.append(section('What this installation reports', 'data-title', h('p', { class: 'problem' }, String((data.error as Error).message))));
  }
  return { el: root };
}

/** Any JSON value as nested definition lists (keys as they are; values as text). */
function tree(value: unknown, depth = 0): Child {
  if (value === null || typeof value !== 'object') return h('span', { class: 'mono' }, JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h('span', { class: 'muted' }, '(none)');
    if (value.every((v) => v === null || typeof v !== 'object')) return h('span', { class: 'mono' }, value.map((v) => String(v)).join(', '));
    return h('ol', null, ...value.map((v) => h('li', null, tree(v, depth + 1))));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return h('span', { class: 'muted' }, '(none)');
  const dl = h('dl', { class: depth === 0 ? 'kv' : 'kv nested' });
  for (const [k, v] of entries) dl.append(h('dt', null, k), h('dd', null, tree(v, depth + 1)));
  return dl;
}
