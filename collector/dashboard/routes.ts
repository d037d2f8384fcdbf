import { diag } from '../../core/diag.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestError } from '../../core/errors.js';
import type { Route } from '../router.js';
import { findDashboardDir, loadDashboard, type DashboardFile, type DashboardFiles } from './files.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * The dashboard's Content-Security-Policy: only this origin's own script, styles and API; no inline script or style
 * (uPlot sizes its canvas through element.style, which CSP does not govern), no third-party origin (it works
 * offline), no framing, no forms posting elsewhere.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** index.html names the hashed files, so it is revalidated on every load (a cheap 304 with its ETag). */
const INDEX_CACHE = 'no-cache';
/** Hashed names change with their content: cached for a year, never revalidated. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

export interface DashboardRouteOptions {
  /** The built dashboard folder; default: this package's dist/dashboard (see findDashboardDir). */
  dir?: string;
}

/**
 * `GET /` (the dashboard page) and `GET /assets/{file}` (its hashed script and stylesheet). No token: they hold no
 * data (the page asks for the token when the API answers 401). Files are read into memory once and served from
 * there: a request names a file only by looking it up among the build's own file names, so no path a client sends
 * reaches the file system. Without a built dashboard (running from sources before `npm run build`) both answer 404
 * with OPT_ERR_DASHBOARD_MISSING.
 */
export function dashboardRoutes(options: DashboardRouteOptions = {}): Route[] {
  let loaded: DashboardFiles | undefined;
  const files = (): DashboardFiles => {
    if (loaded !== undefined) return loaded;
    const dir = options.dir ?? findDashboardDir();
    try {
      if (dir !== undefined) return (loaded = loadDashboard(dir));
    } catch (err) {
      diag.warn(`the dashboard in ${dir} could not be read: ${(err as Error).message}`);
    }
    // Not cached: a build made while the collector runs is served from the next request on.
    throw new RequestError(ErrorCode.DASHBOARD_MISSING, 404, 'the dashboard is not built: dist/dashboard/ was not found beside the collector (run `npm run build`); the API routes work without it');
  };
  return [
    {
      method: 'GET',
      path: '/',
      auth: false,
      handle(ctx) {
        serve(ctx.req, ctx.res, files().index, INDEX_CACHE);
      },
    },
    {
      method: 'GET',
      path: '/assets/:file',
      auth: false,
      handle(ctx) {
        const f = files().assets.get(ctx.params.file!);
        if (f === undefined) throw new RequestError(ErrorCode.NOT_FOUND, 404, 'no such dashboard file', { field: 'file' });
        serve(ctx.req, ctx.res, f, ASSET_CACHE);
      },
    },
  ];
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

function serve(req: IncomingMessage, res: ServerResponse, f: DashboardFile, cacheControl: string): void {
  const gz = f.gzip !== undefined && acceptsGzip(req);
  // Each encoding is its own representation, with its own validator (RFC 9110 8.8.3).
  const etag = gz ? `${f.etag.slice(0, -1)}-gz"` : f.etag;
  const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'cache-control': cacheControl, etag, vary: 'Accept-Encoding' };
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = gz ? f.gzip! : f.body;
  headers['content-type'] = f.type;
  headers['content-length'] = body.length;
  if (gz) headers['content-encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(body);
}
