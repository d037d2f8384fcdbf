import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorConfig } from './config.js';
import type { TelemetryStore } from './store/TelemetryStore.js';
import type { TelemetryError } from '../../core/errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** Counters of the running collector (also shown to other routes, e.g. a status route). */
export interface CollectorStats {
  requests: number;
  eventsReceived: number;
  eventsStored: number;
  duplicates: number;
  rejected: number;
  /** OTLP log records without an event name: counted, not stored (unless TELEMETRY_OTLP_STORE_LOGS). */
  otlpAppLogs: number;
}

/** What every route handler can use: the resolved configuration, the store and the counters. */
export interface CollectorContext {
  readonly config: CollectorConfig;
  readonly store: TelemetryStore;
  readonly stats: CollectorStats;
}

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Decoded path without query string or trailing slash. */
  readonly path: string;
  /** The raw query string (without `?`); parse it with `new URLSearchParams(query)` when needed. */
  readonly query: string;
  /** Values of `:name` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly collector: CollectorContext;
}

/**
 * A route of the collector. Add one by writing a handler in `routes/` and listing it in `routes/index.ts` (or pass it
 * to `startCollector({ routes })`). Before `handle` runs, the server has already matched method and path (404/405),
 * applied the per-client rate limit (429) and the bearer token (401) unless the route opts out.
 * `handle` reads the body itself (`readBody` in http/body.ts enforces the size limit and gzip) and answers; whatever
 * it throws is answered by `onError` (default: the JSON error body with the error's status).
 */
export interface Route {
  readonly method: HttpMethod;
  /** `/exact/path`, or with `:name` segments, e.g. `/api/v1/telemetry/:scenario`. */
  readonly path: string;
  /** Require the token when `TELEMETRY_AUTH_TOKEN` is set. Default true. */
  readonly auth?: boolean;
  /** Count toward the per-client rate limit. Default true. */
  readonly rateLimited?: boolean;
  handle(ctx: RouteContext): void | Promise<void>;
  onError?(ctx: RouteContext, err: TelemetryError, headers: Record<string, string>): void;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  /** Index → param name for `:name` segments. */
  params: (string | undefined)[];
}

export type RouteMatch = { kind: 'found'; route: Route; params: Record<string, string> } | { kind: 'method'; allow: string[] } | { kind: 'none' } | { kind: 'bad-path' };

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** A small routing table: static paths by map lookup, parameterised ones by segment comparison. */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Route>>();
  private readonly patterns: CompiledRoute[] = [];

  constructor(routes: readonly Route[]) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): void {
    const path = normalizePath(route.path);
    if (!path.includes('/:')) {
      let byMethod = this.exact.get(path);
      if (byMethod === undefined) this.exact.set(path, (byMethod = new Map()));
      if (byMethod.has(route.method)) throw new Error(`duplicate route ${route.method} ${path}`);
      byMethod.set(route.method, route);
      return;
    }
    const segments = path.split('/');
    this.patterns.push({ route, segments, params: segments.map((s) => (s.startsWith(':') ? s.slice(1) : undefined)) });
  }

  match(method: string, path: string): RouteMatch {
    const byMethod = this.exact.get(path);
    const allow: string[] = [];
    if (byMethod !== undefined) {
      const r = byMethod.get(method);
      if (r !== undefined) return { kind: 'found', route: r, params: NO_PARAMS };
      // e.g. GET /api/v1/telemetry/upload: not the upload route, but possibly the summary of a scenario "upload"
      allow.push(...byMethod.keys());
    }
    if (this.patterns.length === 0) return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
    const segs = path.split('/');
    for (const c of this.patterns) {
      if (c.segments.length !== segs.length) continue;
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) if (c.params[i] === undefined && c.segments[i] !== segs[i]) ok = false;
      if (!ok) continue;
      if (c.route.method !== method) {
        allow.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      for (let i = 0; i < segs.length; i++) {
        const name = c.params[i];
        if (name === undefined) continue;
        try {
          params[name] = decodeURIComponent(segs[i]!);
        } catch {
          return { kind: 'bad-path' };
        }
      }
      return { kind: 'found', route: c.route, params };
    }
    return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
  }
}

/** `/a/b/` → `/a/b`; the root stays `/`. */
export function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
