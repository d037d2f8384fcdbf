import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers.js';

/**
 * Real Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven by playwright-core: no browser download.
 * Each launch gets a fresh temporary profile (playwright's launch() makes one and removes it on close).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is not installed (apt-get install chromium; .ci/run does): the dashboard browser tests are skipped`;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** Screenshots go here (ignored by git). */
export const OUTPUT_DIR = join(ROOT, 'test-output', 'dashboard');

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}

/** What a page did that a test must see: console errors, uncaught errors, CSP violations, requests. */
export interface Watched {
  readonly page: Page;
  readonly consoleErrors: string[];
  readonly cspViolations: string[];
  readonly requests: { url: string; authorization: string | undefined }[];
}

/**
 * A new page that records console errors and warnings, page errors, every request (URL and Authorization header)
 * and CSP violations (a `securitypolicyviolation` listener installed through the DevTools protocol, which the
 * page's CSP does not govern).
 */
export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const cspViolations: string[] = [];
  const requests: { url: string; authorization: string | undefined }[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers().authorization }));
  await page.exposeFunction('__cspViolation', (text: string) => cspViolations.push(text));
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));",
  });
  return { page, consoleErrors, cspViolations, requests };
}

/**
 * Evaluate a JavaScript expression in the page. Browser code is passed as text: the package's tsconfig (which checks
 * the tests) has Node's types and must not get the DOM's, so callbacks naming `document` would not type-check.
 */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Share of a canvas's pixels that are not transparent (a drawn chart has many). */
export function drawnShare(page: Page, selector: string): Promise<number> {
  return inPage(
    page,
    `(() => {
      const canvas = document.querySelector(${JSON.stringify(selector)});
      if (!(canvas instanceof HTMLCanvasElement) || canvas.width === 0 || canvas.height === 0) return 0;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
      return drawn / (data.length / 4);
    })()`,
  );
}

/** A number shown on the page ("12,345", "≈12,345") as a number. */
export function shownNumber(text: string | null): number {
  const t = (text ?? '').replace(/[≈,\s]/g, '');
  if (!/^\d+$/.test(t)) throw new Error(`not a number on the page: ${JSON.stringify(text)}`);
  return Number(t);
}
