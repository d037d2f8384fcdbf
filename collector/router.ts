import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SelfMetrics } from './metrics/selfMetrics.js';
import type { CollectorConfig } from './config.js';
import type { TelemetryStore } from './stores/TelemetryStore.js';
import type { TelemetryError } from '../core/errors.js';

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
  /** The collector's own metrics (`GET /metrics`), or why they are unavailable (the optional packages are missing). */
  readonly metrics: SelfMetrics | { unavailable: string };
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
  /**
   * Ingest route browsers may call cross-origin from the origins in `TELEMETRY_CORS_ORIGINS` (preflight answered,
   * `Access-Control-Allow-Origin` set). Default false: same-origin only, a foreign `Origin` is refused (403).
   */
  readonly cors?: boolean;
  /**
   * A state change that is not ingest (e.g. consent): needs `TELEMETRY_ADMIN_TOKEN` when one is set (else the
   * ordinary token when set), `Content-Type: application/json` (never a type a cross-site form can send), and is
   * refused with any foreign or `null` Origin, token or not. Default false.
   */
  readonly admin?: boolean;
  handle(ctx: RouteContext): void | Promise<void>;
  onError?(ctx: RouteContext, err: TelemetryError, headers: Record<string, string>): void;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  /** Index → param name for `:name` segments. */
  params: (string | undefined)[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' }
  | { kind: 'bad-path' }
  /** A `:param` segment equal to a route's own segment there (e.g. a scenario named `upload`): never a value. */
  | { kind: 'reserved'; param: string; value: string };

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A small routing table: static paths by map lookup, parameterised ones by segment comparison. Route segments are
 * reserved: a known path answered for another method is 405 (never a parameterised route with that segment as its
 * value: `GET /api/v1/telemetry/upload` is not the summary of a scenario `upload`), and a `:param` segment whose
 * value is a static segment of some route at the same place (`/api/v1/telemetry/upload/events`) matches nothing
 * (`reserved`).
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Route>>();
  private readonly patterns: CompiledRoute[] = [];
  /** Every path prefix ending in a static segment of some route (`/api`, `/api/v1/telemetry/upload`...). */
  private readonly staticPrefixes = new Set<string>();

  constructor(routes: readonly Route[]) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): void {
    const path = normalizePath(route.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length && !parts[i]!.startsWith(':'); i++) this.staticPrefixes.add(parts.slice(0, i + 1).join('/'));
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
      // e.g. GET /api/v1/telemetry/upload: the upload route's path, never the summary of a scenario "upload".
      return { kind: 'method', allow: [...byMethod.keys()] };
    }
    if (this.patterns.length === 0) return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
    const segs = path.split('/');
    let reservedHit: RouteMatch | undefined;
    for (const c of this.patterns) {
      if (c.segments.length !== segs.length) continue;
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) if (c.params[i] === undefined && c.segments[i] !== segs[i]) ok = false;
      if (!ok) continue;
      const reserved = this.reservedIn(c, segs);
      if (reserved !== undefined) {
        reservedHit ??= reserved;
        continue;
      }
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
    return allow.length > 0 ? { kind: 'method', allow } : (reservedHit ?? { kind: 'none' });
  }

  /** The first `:param` of `c` whose value (raw or percent-decoded) is a route's static segment at that place. */
  private reservedIn(c: CompiledRoute, segs: string[]): RouteMatch | undefined {
    for (let i = 0; i < segs.length; i++) {
      const name = c.params[i];
      if (name === undefined) continue;
      let value = segs[i]!;
      try {
        value = decodeURIComponent(value);
      } catch {
        // answered as a bad path when this route is matched
      }
      if (this.staticPrefixes.has(`${segs.slice(0, i).join('/')}/${value}`)) return { kind: 'reserved', param: name, value };
    }
    return undefined;
  }
}

/** `/a/b/` → `/a/b`; the root stays `/`. */
export function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
