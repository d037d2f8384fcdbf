import './style.css';
import { AuthRequiredError } from './api.js';
import { destroyCharts } from './charts.js';
import { h } from './dom.js';
import { overview } from './pages/overview.js';
import { problem, type Page } from './pages/common.js';
import { scenarioPage } from './pages/scenario.js';
import { tokenPrompt } from './pages/tokenPrompt.js';
import { transparencyPage } from './pages/transparency.js';
import { parseHash } from './route.js';
import { clearToken, currentToken } from './token.js';

/**
 * The dashboard's entry: renders the view named by the location hash, redraws on hashchange, and turns a 401 into
 * the token prompt. Each render aborts the previous one's requests (and a live tail).
 */
const main = document.getElementById('main')!;
const forget = document.getElementById('forget-token') as HTMLButtonElement;
let current: AbortController | undefined;
let first = true;

async function build(signal: AbortSignal): Promise<Page> {
  const view = parseHash(location.hash);
  switch (view.page) {
    case 'overview':
      return overview(view.range, signal);
    case 'scenario':
      return scenarioPage(view, signal);
    case 'transparency':
      return transparencyPage(signal);
    case 'missing':
      return { el: h('div', { class: 'page' }, h('h1', { tabindex: -1 }, 'Not found'), h('p', null, 'No such view. ', h('a', { href: '#/' }, 'Back to the overview'))) };
  }
}

async function render(): Promise<void> {
  current?.abort();
  const ctrl = new AbortController();
  current = ctrl;
  // A control that changed the view (a select) keeps the focus after the redraw; after a link, the heading gets it.
  const focusedId = document.activeElement instanceof HTMLElement && main.contains(document.activeElement) ? document.activeElement.id : '';
  main.setAttribute('aria-busy', 'true');
  let page: Page;
  try {
    page = await build(ctrl.signal);
  } catch (err) {
    if (ctrl.signal.aborted) return;
    page = failure(err);
  }
  if (ctrl.signal.aborted) return;
  destroyCharts();
  main.replaceChildren(page.el);
  main.removeAttribute('aria-busy');
  forget.hidden = currentToken() === undefined;
  page.mounted?.();
  // For bench/dashboard.mjs: when this view was on screen, on the page's own clock.
  performance.mark(`dashboard:${parseHash(location.hash).page}`);
  const again = focusedId ? document.getElementById(focusedId) : null;
  if (again) again.focus();
  else if (!first && !main.contains(document.activeElement)) main.querySelector<HTMLElement>('h1')?.focus();
  first = false;
}

function failure(err: unknown): Page {
  if (err instanceof AuthRequiredError) {
    // A refused token is dropped, so the next request does not send it again.
    if (err.tokenSent) clearToken();
    return tokenPrompt(err.tokenSent, () => void render());
  }
  return { el: h('div', { class: 'page' }, h('h1', { tabindex: -1 }, 'Could not load this view'), problem(err)) };
}

window.addEventListener('hashchange', () => void render());
// Failures of work started after a view was shown (a log search): a 401 there shows the prompt too.
window.addEventListener('dashboard:error', (e) => {
  const page = failure((e as CustomEvent<unknown>).detail);
  destroyCharts();
  main.replaceChildren(page.el);
  page.mounted?.();
});
// The skip link must not change the hash (that is the router's): it moves the focus itself.
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
forget.addEventListener('click', () => {
  clearToken();
  void render();
});
void render();
