import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../collector/index.js';
import type { InsightsAnswer } from '../../query/insights/types.js';
import { tmpDir } from '../helpers.js';
import { chromiumMissing, drawnShare, inPage, launchChromium, screenshotPath, shownNumber, watchedPage, type Watched } from './browser.js';
import { seed, seedEvents, SEED_PLAN } from './seed.js';

/**
 * The dashboard in real Chromium against a real collector on loopback, seeded through the upload route: the numbers
 * on the page equal the API's, charts are drawn, filters and search change what is shown, the token prompt works,
 * it is usable by keyboard and at 360 px, light and dark, with no console error, no CSP violation and no request
 * to another origin. Screenshots go to test-output/dashboard/.
 */
const missing = chromiumMissing();
if (missing !== undefined) console.log(`SKIPPED: ${missing}`);

interface Summary {
  scenario: string;
  total_events: number;
  last_event: string | null;
  failure_counts: Record<string, number>;
  recent_failures: { event: string }[];
}

describe.skipIf(missing !== undefined)('dashboard in Chromium', () => {
  let browser: Browser;
  let c: Collector;
  const contexts: BrowserContext[] = [];
  const watched: Watched[] = [];

  async function api<T>(path: string, token?: string): Promise<T> {
    const res = await fetch(`${c.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  }

  async function open(hash: string, options: { width?: number; dark?: boolean; url?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, colorScheme: options.dark ? 'dark' : 'light' });
    contexts.push(context);
    const w = await watchedPage(context);
    watched.push(w);
    await w.page.goto(`${options.url ?? c.url}/${hash}`);
    return w.page;
  }

  /** The insights answer for the range a stats block shows (its data-from/data-to), with the page's other choices. */
  async function insightsFor(page: Page, statsSelector: string, scenario: string, q: { bucket: string; by: string; top: number }): Promise<InsightsAnswer> {
    const from = await page.getAttribute(statsSelector, 'data-from');
    const to = await page.getAttribute(statsSelector, 'data-to');
    expect(from).toMatch(/^\d{4}-/);
    const p = new URLSearchParams({ from: from!, to: to!, bucket: q.bucket, by: q.by, top: String(q.top) });
    return api<InsightsAnswer>(`/api/v1/telemetry/${scenario}/insights?${p.toString()}`);
  }

  async function legendLabels(page: Page, chart: string): Promise<string[]> {
    return page.$$eval(`${chart} .u-legend .u-series .u-label`, (els) => els.map((e) => e.textContent ?? '').filter((t) => t !== 'Time'));
  }

  beforeAll(async () => {
    browser = await launchChromium();
    c = await startCollector({ port: 0, host: '127.0.0.1', dir: tmpDir('dash-'), env: {} });
    await seed(c.url, seedEvents(Date.now()));
  });

  afterEach(async () => {
    // Every page of every test: no console error or warning, no CSP violation, nothing fetched from elsewhere.
    for (const w of watched) {
      expect(w.consoleErrors).toEqual([]);
      expect(w.cspViolations).toEqual([]);
      const origin = new URL(w.page.url()).origin;
      for (const r of w.requests) expect(new URL(r.url).origin, r.url).toBe(origin);
    }
    watched.length = 0;
    while (contexts.length > 0) await contexts.pop()!.close();
  });

  afterAll(async () => {
    await browser?.close();
    await c?.close();
  });

  it('overview: every scenario with the numbers of the insights and summaries API, and a sparkline drawn', async () => {
    const page = await open('#/');
    await page.waitForSelector('.scenario-card .spark canvas');
    const { scenarios } = await api<{ scenarios: Summary[] }>('/api/v1/telemetry');
    expect(await page.$$eval('.scenario-card', (els) => els.map((e) => e.getAttribute('data-scenario')))).toEqual(SEED_PLAN.map((p) => p.name).sort());
    for (const s of scenarios) {
      const card = `.scenario-card[data-scenario="${s.scenario}"]`;
      const a = await insightsFor(page, `${card} dl.stats`, s.scenario, { bucket: 'hour', by: 'event', top: 1 });
      expect(shownNumber(await page.textContent(`${card} [data-stat="events"]`)), s.scenario).toBe(a.total_events);
      expect(shownNumber(await page.textContent(`${card} [data-stat="installations"]`))).toBe(a.installations.count);
      expect(shownNumber(await page.textContent(`${card} [data-stat="failures"]`))).toBe(a.failures);
      expect(shownNumber(await page.textContent(`${card} [data-stat="total"]`))).toBe(s.total_events);
      expect(await page.getAttribute(`${card} time`, 'datetime')).toBe(s.last_event);
      expect(a.total_events).toBeGreaterThan(0);
      expect(await drawnShare(page, `${card} .spark canvas`)).toBeGreaterThan(0.02);
    }
    await page.screenshot({ path: screenshotPath('overview.png'), fullPage: true });
  });

  it('scenario page: stats, stacked chart, breakdowns and recent failures equal the API', async () => {
    const page = await open('#/s/checkout-app');
    await page.waitForSelector('#events-chart canvas');
    await page.waitForSelector('#log-status:has-text("matching")');
    const a = await insightsFor(page, 'dl.stats.wide', 'checkout-app', { bucket: 'hour', by: 'event', top: 10 });
    expect(shownNumber(await page.textContent('[data-stat="events"]'))).toBe(a.total_events);
    expect(shownNumber(await page.textContent('[data-stat="installations"]'))).toBe(a.installations.count);
    expect(shownNumber(await page.textContent('[data-stat="failures"]'))).toBe(a.failures);
    const summary = await api<Summary>('/api/v1/telemetry/checkout-app');
    expect(shownNumber(await page.textContent('[data-stat="total"]'))).toBe(summary.total_events);
    // The stacked chart: one series per group of the answer, and pixels drawn.
    expect((await legendLabels(page, '#events-chart')).sort()).toEqual([...a.groups].sort());
    expect(await drawnShare(page, '#events-chart canvas')).toBeGreaterThan(0.03);
    expect(await drawnShare(page, '#installations-chart canvas')).toBeGreaterThan(0.01);
    // Breakdowns: each row equals the API's total for that group, over the same range.
    for (const by of ['version', 'platform', 'event']) {
      const b = await insightsFor(page, 'dl.stats.wide', 'checkout-app', { bucket: 'hour', by, top: 10 });
      const rows = await page.$$eval(`table[data-breakdown="${by}"] tbody tr`, (trs) => trs.map((tr) => [tr.getAttribute('data-group'), tr.querySelector('[data-count]')?.textContent ?? '']));
      expect(rows.map(([g]) => g), by).toEqual(b.groups);
      for (const [g, n] of rows) expect(shownNumber(n), `${by} ${g}`).toBe(b.totals[g!]);
    }
    const failures = await page.$$eval('[data-list="recent-failures"] > li strong', (els) => els.map((e) => e.textContent));
    expect(failures).toEqual(summary.recent_failures.map((f) => f.event));
    expect(failures.length).toBeGreaterThan(0);
    const counts = Object.entries(summary.failure_counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([e, n]) => `${e} ${n.toLocaleString('en-US')}`);
    expect(await page.textContent('section[aria-labelledby="failures-title"] p.muted')).toBe(`All time: ${counts.join(', ')}`);
    await page.click('[data-list="recent-failures"] > li:first-child summary');
    expect(await page.textContent('[data-list="recent-failures"] > li:first-child pre')).toContain('crash in checkout-app');
    await page.screenshot({ path: screenshotPath('scenario.png'), fullPage: true });
  });

  it('grouping and range change the chart and the numbers', async () => {
    const page = await open('#/s/cli-tool');
    await page.waitForSelector('#events-chart canvas');
    const before = shownNumber(await page.textContent('[data-stat="events"]'));
    await page.selectOption('#group-by', 'platform');
    await page.waitForFunction("location.hash.includes('by=platform')");
    await page.waitForSelector('#events-title:has-text("Platform")');
    const byPlatform = await insightsFor(page, 'dl.stats.wide', 'cli-tool', { bucket: 'hour', by: 'platform', top: 10 });
    expect((await legendLabels(page, '#events-chart')).sort()).toEqual([...byPlatform.groups].sort());
    expect(byPlatform.groups.sort()).toEqual(['darwin', 'linux', 'win32']);
    await page.focus('#range');
    await page.selectOption('#range', '30d');
    await page.waitForSelector('#events-title:has-text("per day")');
    const month = await insightsFor(page, 'dl.stats.wide', 'cli-tool', { bucket: 'day', by: 'platform', top: 10 });
    const shown = shownNumber(await page.textContent('[data-stat="events"]'));
    expect(shown).toBe(month.total_events);
    expect(shown).toBeGreaterThan(before);
    // The focus stays on the control that changed the view.
    expect(await inPage(page, 'document.activeElement.id')).toBe('range');
    await page.selectOption('#bucket', 'week');
    await page.waitForSelector('#events-title:has-text("per week")');
    expect(await drawnShare(page, '#events-chart canvas')).toBeGreaterThan(0.02);
  });

  it('log search: level, text and live tail, each equal to the events route', async () => {
    const page = await open('#/s/checkout-app');
    await page.waitForSelector('#log-status:has-text("matching")');
    const count = async (q: string): Promise<number> => {
      const res = await fetch(`${c.url}/api/v1/telemetry/checkout-app/events?${q}`);
      return (await res.text()).split('\n').filter((l) => l.trim() !== '').length;
    };
    const rows = (): Promise<string[][]> => page.$$eval('#log-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect((await rows()).length).toBe(await count('tail=200'));
    expect((await rows()).length).toBe(200);

    await page.fill('#log-search', 'PAYMENT_FAILED');
    await page.click('#log-submit');
    await page.waitForSelector('#log-status:has-text("matching")');
    const found = await rows();
    expect(found.length).toBe(await count('tail=200&search=PAYMENT_FAILED&ignore_case=true'));
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThan(200);
    for (const r of found) expect(r[2]).toBe('payment_failed');
    expect(await inPage(page, 'location.hash')).toContain('search=PAYMENT_FAILED');

    await page.fill('#log-search', '');
    await page.selectOption('#log-level', 'fatal');
    await page.click('#log-submit');
    await page.waitForSelector('#log-status:has-text("matching")');
    const fatal = await rows();
    expect(fatal.length).toBe(await count('tail=200&level=fatal'));
    expect(new Set(fatal.map((r) => r[1]))).toEqual(new Set(['fatal']));
    expect(new Set(fatal.map((r) => r[2]))).toEqual(new Set(['crash']));

    await page.selectOption('#log-level', '');
    await page.selectOption('#log-since', '24h');
    await page.click('#log-submit');
    await page.waitForSelector('#log-status:has-text("matching")');
    const day = await rows();
    expect(day.length).toBe(await count('tail=200&since=24h'));
    expect(day.length).toBeGreaterThan(0);
    const times = await page.$$eval('#log-table tbody time', (els) => els.map((e) => e.getAttribute('datetime') ?? ''));
    expect(times.length).toBe(day.length);
    for (const t of times) expect(Date.now() - Date.parse(t), t).toBeLessThan(24 * 3_600_000 + 60_000);

    // Live tail: a line uploaded now appears on top without a reload.
    await page.selectOption('#log-since', '');
    await page.click('#log-live');
    await page.waitForSelector('#log-status:has-text("Live")');
    expect(await page.getAttribute('#log-live', 'aria-pressed')).toBe('true');
    const res = await fetch(`${c.url}/api/v1/telemetry/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ scenario: 'checkout-app', event: 'live_probe', installation_id: 'inst-live', details: { version: '9.9.9' } }]) });
    expect(res.status).toBe(200);
    await page.waitForSelector('#log-table tbody tr:first-child td:has-text("live_probe")', { timeout: 10_000 });
    expect((await rows())[0]![3]).toBe('inst-live');
    await page.click('#log-live');
    await page.waitForSelector('#log-status:has-text("stopped")');
    expect(await page.getAttribute('#log-live', 'aria-pressed')).toBe('false');
  });

  it('enforces its CSP (an inline script or style attribute is blocked and seen), while uPlot\'s CSSOM sizes apply', async () => {
    const page = await open('#/s/worker');
    await page.waitForSelector('#events-chart canvas');
    // uPlot sizes its elements through element.style (CSSOM), which CSP does not govern: the canvas has its size.
    expect(await inPage<string>(page, 'document.querySelector("#events-chart .u-wrap").style.width')).toMatch(/^\d+px$/);
    await inPage(page, `(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      const d = document.createElement('div');
      d.setAttribute('style', 'width: 123px');
      d.id = 'styled';
      document.body.append(d);
    })()`);
    await page.waitForTimeout(200);
    expect(await inPage(page, 'window.__inlineRan === undefined')).toBe(true);
    expect(await inPage(page, 'getComputedStyle(document.getElementById("styled")).width')).not.toBe('123px');
    const w = watched.at(-1)!;
    expect(w.cspViolations.some((v) => v.startsWith('script-src'))).toBe(true);
    expect(w.cspViolations.some((v) => v.startsWith('style-src'))).toBe(true);
    // Provoked on purpose: not this page's own doing.
    w.cspViolations.length = 0;
    w.consoleErrors.splice(0, w.consoleErrors.length, ...w.consoleErrors.filter((e) => !/Content Security Policy/.test(e)));
  });

  it('transparency: the consent state and the data of GET /telemetry/data', async () => {
    const page = await open('#/transparency');
    await page.waitForSelector('[data-stat="consent"]');
    const consent = await api<{ enableTelemetry: boolean }>('/telemetry/configuration');
    expect(await page.textContent('[data-stat="consent"]')).toBe(consent.enableTelemetry ? 'on' : 'off');
    const data = await api<Record<string, unknown>>('/telemetry/data');
    const shown = JSON.parse((await page.textContent('#telemetry-json')) ?? '') as Record<string, unknown>;
    expect(Object.keys(shown).sort()).toEqual(Object.keys(data).sort());
    expect(shown.installation).toBe(data.installation);
    expect(await page.textContent('dl.kv')).toContain(String(data.installation));
  });

  it('asks for the token on 401, says when it is wrong, keeps it in sessionStorage and sends it only as a header', async () => {
    const token = 'dash-token-7f3a9c';
    const secured = await startCollector({ port: 0, host: '127.0.0.1', dir: tmpDir('dash-auth-'), env: {}, authToken: token });
    try {
      await seed(secured.url, seedEvents(Date.now()).filter((e) => e.scenario === 'worker'), token);
      const page = await open('#/', { url: secured.url });
      await page.waitForSelector('#token');
      expect(await page.textContent('h1')).toBe('Token needed');
      await page.fill('#token', 'wrong-token');
      await page.press('#token', 'Enter');
      await page.waitForSelector('#token-refused');
      expect(await page.textContent('#token-refused')).toContain('refused');
      expect(await inPage(page, 'sessionStorage.length')).toBe(0);
      await page.fill('#token', token);
      await page.click('button[type="submit"]');
      await page.waitForSelector('.scenario-card[data-scenario="worker"] [data-stat="events"]');
      expect(await inPage(page, 'Object.values(sessionStorage)')).toEqual([token]);
      // Reloading the tab keeps it; the "Forget token" button is shown.
      await page.reload();
      await page.waitForSelector('.scenario-card[data-scenario="worker"]');
      expect(await page.isVisible('#forget-token')).toBe(true);
      const w = watched.at(-1)!;
      const apiCalls = w.requests.filter((r) => r.url.includes('/api/'));
      expect(apiCalls.length).toBeGreaterThan(2);
      for (const r of w.requests) expect(r.url, r.url).not.toContain(token);
      expect(apiCalls.filter((r) => r.authorization === `Bearer ${token}`).length).toBeGreaterThan(1);
      // The wrong token was sent (and refused) once; every other API call carried the right one.
      expect(apiCalls.filter((r) => r.authorization !== `Bearer ${token}` && r.authorization !== undefined).map((r) => r.authorization)).toEqual(['Bearer wrong-token']);
      await page.click('#forget-token');
      await page.waitForSelector('#token');
      expect(await inPage(page, 'sessionStorage.length')).toBe(0);
      // The 401s the page provoked are console errors of the browser's own ("Failed to load resource"): expected here.
      w.consoleErrors.splice(0, w.consoleErrors.length, ...w.consoleErrors.filter((e) => !/status of 401/.test(e)));
    } finally {
      await secured.close();
    }
  });

  it('dark mode follows prefers-color-scheme', async () => {
    const light = await open('#/s/worker');
    await light.waitForSelector('#events-chart canvas');
    const dark = await open('#/s/worker', { dark: true });
    await dark.waitForSelector('#events-chart canvas');
    const luminance = async (p: Page): Promise<number> => {
      const [r, g, b] = (await inPage<string>(p, 'getComputedStyle(document.body).backgroundColor')).match(/\d+/g)!.map(Number);
      return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
    };
    expect(await luminance(light)).toBeGreaterThan(0.8);
    expect(await luminance(dark)).toBeLessThan(0.2);
    expect(await drawnShare(dark, '#events-chart canvas')).toBeGreaterThan(0.02);
    await dark.screenshot({ path: screenshotPath('scenario-dark.png'), fullPage: true });
  });

  it('at 360 px wide nothing scrolls sideways and the charts fit', async () => {
    for (const hash of ['#/', '#/s/checkout-app', '#/transparency']) {
      const page = await open(hash, { width: 360 });
      await page.waitForSelector(hash === '#/transparency' ? '[data-stat="consent"]' : hash === '#/' ? '.spark canvas' : '#log-status:has-text("matching")');
      const [scroll, client] = await inPage<[number, number]>(page, '[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
      expect(scroll, hash).toBeLessThanOrEqual(client);
      if (hash === '#/s/checkout-app') {
        const width = await page.$eval('#events-chart canvas', (cv) => cv.getBoundingClientRect().width);
        expect(width).toBeLessThanOrEqual(client);
        expect(width).toBeGreaterThan(250);
        await page.screenshot({ path: screenshotPath('scenario-360.png'), fullPage: true });
      }
      if (hash === '#/') await page.screenshot({ path: screenshotPath('overview-360.png'), fullPage: true });
    }
  });

  it('is usable by keyboard: Tab reaches every control, focus is visible, Enter follows a link', async () => {
    const page = await open('#/');
    await page.waitForSelector('.scenario-card');
    const tabUntil = async (want: (d: { id: string; text: string; tag: string }) => boolean, max = 40): Promise<{ id: string; text: string; tag: string; outline: string }[]> => {
      const seen: { id: string; text: string; tag: string; outline: string }[] = [];
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const d = await inPage<{ id: string; text: string; tag: string; outline: string }>(
          page,
          '(() => { const el = document.activeElement; return { id: el.id, text: (el.textContent || "").trim().slice(0, 40), tag: el.tagName, outline: getComputedStyle(el).outlineStyle }; })()',
        );
        seen.push(d);
        if (want(d)) return seen;
      }
      throw new Error(`not reached by Tab: ${JSON.stringify(seen.map((s) => s.id || s.text))}`);
    };
    const first = await tabUntil((d) => d.text === 'cli-tool');
    expect(first.map((d) => d.text)).toEqual(expect.arrayContaining(['Skip to content', 'Overview', 'Transparency', 'checkout-app', 'cli-tool']));
    expect(first.map((d) => d.id)).toContain('overview-range');
    for (const d of first) expect(d.outline, d.text).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#events-chart canvas');
    expect(await inPage(page, 'location.hash')).toMatch(/^#\/s\/cli-tool/);
    // After navigating, the focus is on the new page's heading; Tab goes on through the page's controls.
    expect(await inPage(page, 'document.activeElement.tagName')).toBe('H1');
    const second = await tabUntil((d) => d.id === 'log-live', 60);
    const ids = second.map((d) => d.id);
    for (const id of ['group-by', 'range', 'bucket', 'log-search', 'log-level', 'log-since', 'log-submit', 'log-live']) expect(ids, id).toContain(id);
    for (const d of second) expect(d.outline, d.id || d.text).not.toBe('none');
    // Labels: every control has one.
    const unlabelled = await inPage<string[]>(page, '[...document.querySelectorAll("select, input")].filter((e) => e.labels.length === 0).map((e) => e.id)');
    expect(unlabelled).toEqual([]);
  });
});
