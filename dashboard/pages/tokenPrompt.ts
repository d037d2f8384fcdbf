import { h } from '../dom.js';
import { setToken } from '../token.js';
import type { Page } from './common.js';

/**
 * Asked when the collector answers 401 (it runs with TELEMETRY_AUTH_TOKEN). The token is kept in sessionStorage
 * for this tab and sent as `Authorization: Bearer`, never in a URL. A refused token is said so plainly.
 */
export function tokenPrompt(refused: boolean, retry: () => void): Page {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'card token-form', 'aria-labelledby': 'token-title' },
    h('h1', { id: 'token-title', tabindex: -1 }, 'Token needed'),
    refused
      ? h('p', { class: 'problem', role: 'alert', id: 'token-refused' }, 'The collector refused that token (401). Check the value of TELEMETRY_AUTH_TOKEN (or TELEMETRY_ADMIN_TOKEN) and try again.')
      : h('p', null, 'This collector requires its bearer token (TELEMETRY_AUTH_TOKEN) for every request.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Token'), input),
    h('p', { class: 'muted small' }, 'Kept only in this tab (sessionStorage) and sent as an Authorization header; never put in a URL.'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Use token')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (v === '') return;
    setToken(v);
    retry();
  });
  return { el: h('div', { class: 'page' }, form), mounted: () => input.focus() };
}
