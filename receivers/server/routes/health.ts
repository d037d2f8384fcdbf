import { sendJson } from '../http/respond.js';
import type { Route } from '../router.js';

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
