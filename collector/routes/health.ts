import { RequestError } from '../../core/errors.js';
import { sendError, sendJson } from '../http/respond.js';
import type { Route } from '../router.js';
import type { StoreReadiness, TelemetryStore } from '../stores/TelemetryStore.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** `GET /healthz` → 200 `{"status":"ok"}`; no token, no rate limit (load balancers and orchestrators poll it). */
export const healthRoute: Route = {
  method: 'GET',
  path: '/healthz',
  auth: false,
  rateLimited: false,
  handle(ctx) {
    sendJson(ctx.res, 200, { status: 'ok' });
  },
};

/** One readiness check per store at a time, reused for this long (a flood of /readyz costs one check a second). */
const READY_CACHE_MS = 1000;
const checks = new WeakMap<TelemetryStore, { at: number; answer: Promise<StoreReadiness> }>();

function readinessOf(store: TelemetryStore): Promise<StoreReadiness> {
  if (store.ready === undefined) return Promise.resolve({ ready: true });
  const now = Date.now();
  const cached = checks.get(store);
  if (cached !== undefined && now - cached.at < READY_CACHE_MS) return cached.answer;
  const answer = store.ready().catch((err: unknown): StoreReadiness => ({ ready: false, reason: `readiness check failed: ${(err as Error).message}` }));
  checks.set(store, { at: now, answer });
  return answer;
}

/**
 * `GET /readyz` → 200 `{"status":"ok","store":kind}` when the store can take writes; `503 OPT_ERR_NOT_READY` with
 * `Retry-After: 5` while it cannot (ClickHouse down, the JSONL data dir gone or its last write failing). No token, no
 * rate limit; checks are shared for a second.
 */
export const readyRoute: Route = {
  method: 'GET',
  path: '/readyz',
  auth: false,
  rateLimited: false,
  async handle(ctx) {
    const store = ctx.collector.store;
    const r = await readinessOf(store);
    if (r.ready) sendJson(ctx.res, 200, { status: 'ok', store: store.kind });
    else sendError(ctx.res, new RequestError(ErrorCode.NOT_READY, 503, `the ${store.kind} store is not available: ${r.reason}`), { 'retry-after': '5' });
  },
};
