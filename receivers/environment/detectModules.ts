import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A package the process has actually loaded: its npm name and the version from its package.json. */
export interface LoadedPackage {
  readonly name: string;
  readonly version: string | undefined;
}

/**
 * Database drivers we recognise, in priority order (the first loaded one is reported), mapped to the semantic
 * conventions' `db.system.name` value.
 */
export const DATABASE_DRIVERS: ReadonlyArray<readonly [pkg: string, system: string]> = [
  ['pg', 'postgresql'],
  ['mysql2', 'mysql'],
  ['mysql', 'mysql'],
  ['mongodb', 'mongodb'],
  ['better-sqlite3', 'sqlite'],
  ['sqlite3', 'sqlite'],
];

/**
 * Web frameworks / application servers we recognise, in priority order: frameworks that run on top of another one
 * come first (NestJS loads express or fastify, Next.js loads its own server), so the one the app chose is reported.
 */
export const FRAMEWORKS: ReadonlyArray<readonly [pkg: string, vendor: string]> = [
  ['@nestjs/core', 'nestjs'],
  ['next', 'next'],
  ['fastify', 'fastify'],
  ['koa', 'koa'],
  ['@hapi/hapi', 'hapi'],
  ['express', 'express'],
];

const KNOWN = new Set([...DATABASE_DRIVERS.map(([p]) => p), ...FRAMEWORKS.map(([p]) => p)]);
const MARKER = '/node_modules/';

// The CommonJS module cache is process-wide; ESM imports of CommonJS packages (every package above ships CommonJS)
// land in it too. ESM-only builds do not: configure those explicitly, or let the span bridge see `db.system.name`.
const moduleCache: Record<string, unknown> = createRequire(import.meta.url).cache;

let lastSize = -1;
let lastResult: ReadonlyMap<string, LoadedPackage> = new Map();
const versions = new Map<string, string | undefined>();

/**
 * The recognised packages currently loaded, by npm name. Only package names and versions leave this function:
 * module paths are looked at, never kept or reported. Re-scans only when the module cache grew or shrank.
 */
export function loadedKnownPackages(): ReadonlyMap<string, LoadedPackage> {
  const keys = Object.keys(moduleCache);
  if (keys.length === lastSize) return lastResult;
  const found = new Map<string, LoadedPackage>();
  for (const raw of keys) {
    const path = raw.includes('\\') ? raw.replace(/\\/g, '/') : raw;
    const at = path.lastIndexOf(MARKER);
    if (at < 0) continue;
    const start = at + MARKER.length;
    let end = path.indexOf('/', start);
    if (end < 0) continue;
    if (path.charCodeAt(start) === 64 /* @ */) {
      end = path.indexOf('/', end + 1);
      if (end < 0) continue;
    }
    const name = path.slice(start, end);
    if (!KNOWN.has(name) || found.has(name)) continue;
    const root = raw.slice(0, end);
    found.set(name, { name, version: packageVersion(root) });
  }
  lastSize = keys.length;
  lastResult = found;
  return found;
}

function packageVersion(root: string): string | undefined {
  if (versions.has(root)) return versions.get(root);
  let version: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string' && pkg.version.length <= 64) version = pkg.version;
  } catch {
    version = undefined;
  }
  versions.set(root, version);
  return version;
}

/** The first loaded database driver (priority order) with its `db.system.name`. */
export function detectDatabaseDriver(loaded = loadedKnownPackages()): (LoadedPackage & { system: string }) | undefined {
  for (const [pkg, system] of DATABASE_DRIVERS) {
    const hit = loaded.get(pkg);
    if (hit) return { ...hit, system };
  }
  return undefined;
}

/** The loaded web framework (priority order) with the vendor name we report. */
export function detectFramework(loaded = loadedKnownPackages()): (LoadedPackage & { vendor: string }) | undefined {
  for (const [pkg, vendor] of FRAMEWORKS) {
    const hit = loaded.get(pkg);
    if (hit) return { ...hit, vendor };
  }
  return undefined;
}
