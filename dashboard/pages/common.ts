import type { InsightBucket } from '../../query/insights/types.js';
import { ApiError } from '../api.js';
import { h, type Child } from '../dom.js';
import type { Range } from '../route.js';

/** A labelled number; `data-stat` names it for the browser tests, which compare it with the API's answer. */
export function stat(name: string, label: string, value: string, title?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', null, label), h('dd', { 'data-stat': name, title }, value));
}

export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** A refusal shown where its data would have been (the collector's message names the field). */
export function problem(err: unknown): HTMLElement {
  if (err instanceof ApiError) {
    const hint = err.status === 404 && err.code === 'OPT_ERR_NOT_FOUND' && /no route/.test(err.message) ? ' (this collector has no such route: an older version?)' : '';
    return h('p', { class: 'problem', role: 'status' }, `${err.message}${hint}`, h('span', { class: 'muted' }, ` (${err.code}${err.field ? `, field ${err.field}` : ''})`));
  }
  return h('p', { class: 'problem', role: 'status' }, err instanceof Error ? err.message : String(err));
}

export const RANGE_LABELS: Record<Range, string> = { '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days', '90d': 'last 90 days' };

export const RANGE_OPTIONS: readonly (readonly [string, string])[] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
];

export const BUCKET_OPTIONS: readonly (readonly [InsightBucket | 'auto', string])[] = [
  ['auto', 'Automatic'],
  ['minute', 'Minute'],
  ['hour', 'Hour'],
  ['day', 'Day'],
  ['week', 'Week'],
];

/** Settled results of parallel requests, so one refusal (e.g. no insights route) does not blank the whole page. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A rendered view: its element, and what to do once it is in the document (charts need their box's width). */
export interface Page {
  el: HTMLElement;
  mounted?: () => void;
}
