import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file of the built dashboard, held in memory with its gzip form (the whole dashboard is ~100 KB). */
export interface DashboardFile {
  readonly name: string;
  readonly type: string;
  readonly body: Buffer;
  /** Only when it is smaller than `body`. */
  readonly gzip: Buffer | undefined;
  readonly etag: string;
}

export interface DashboardFiles {
  readonly dir: string;
  readonly index: DashboardFile;
  /** The hashed assets by file name (index.html is served only at `/`). */
  readonly assets: ReadonlyMap<string, DashboardFile>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Names the build writes (`app-3QX7K2.js`); anything else in the folder is never served. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)+$/;

/** How far up from this module the search for dist/dashboard goes (dist/cli-chunks/x.cjs → dist; collector/dashboard/x.ts → repo root). */
const LEVELS_UP = 3;

/**
 * Where the built dashboard is: `dist/dashboard` of this package, found from this module's own location, which
 * differs by how the collector runs — the ESM or CJS build (dist/collector.js, a chunk in dist/, dist/cli-chunks/)
 * or the sources (collector/dashboard/files.ts, with dist/ built beside them). A `dashboard` folder counts only
 * inside a folder named `dist` and with an index.html (the repository's dashboard/ holds only the sources).
 */
export function findDashboardDir(from: string = moduleDir()): string | undefined {
  let dir = from;
  for (let i = 0; i <= LEVELS_UP; i++) {
    const candidates = basename(dir) === 'dist' ? [join(dir, 'dashboard')] : [join(dir, 'dist', 'dashboard')];
    for (const c of candidates) if (existsSync(join(c, 'index.html'))) return c;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function moduleDir(): string {
  // import.meta.url in the ESM build and the sources; tsup's shim gives the CJS build the same.
  return dirname(fileURLToPath(import.meta.url));
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return TYPES[name.slice(dot)] ?? 'application/octet-stream';
}

function file(dir: string, name: string): DashboardFile {
  const body = readFileSync(join(dir, name));
  // Compressed once here (level 9: paid once per start, ~10 ms for the whole dashboard), not per request.
  const gz = gzipSync(body, { level: 9 });
  return { name, type: typeOf(name), body, gzip: gz.length < body.length ? gz : undefined, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Read the built dashboard into memory: index.html and every regular file with a build-made name beside it. */
export function loadDashboard(dir: string): DashboardFiles {
  const assets = new Map<string, DashboardFile>();
  for (const name of readdirSync(dir)) {
    if (name === 'index.html' || !SAFE_NAME.test(name) || !(name.slice(name.lastIndexOf('.')) in TYPES)) continue;
    if (!lstatSync(join(dir, name)).isFile()) continue; // no symlinks out of the folder, no subfolders
    assets.set(name, file(dir, name));
  }
  return { dir, index: file(dir, 'index.html'), assets };
}
