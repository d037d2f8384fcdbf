import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config.js';

/**
 * Who may talk to the collector from a browser. DNS rebinding: a page on `evil.example` whose name later resolves to
 * 127.0.0.1 reaches a loopback collector "same-origin", with `Host: evil.example` — so without a token only loopback
 * `Host` values (and the configured host) are served. Cross-site requests carry an `Origin` that is not the
 * collector's own: refused unless CORS lists it for an ingest route.
 */

/** The host name of a `Host` header, lower-cased, without port or IPv6 brackets; undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  let name: string;
  let port: string | undefined;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end === -1) return undefined;
    name = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== h.lastIndexOf(':')) return undefined; // a bare IPv6 address is not a valid Host
    name = colon === -1 ? h : h.slice(0, colon);
    port = colon === -1 ? undefined : h.slice(colon + 1);
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
  if (name === '' || !/^[a-z0-9.:_-]+$/.test(name)) return undefined;
  return name;
}

/** Whether a request's `Host` may be served by a collector without a token: loopback names or the configured host. */
export function isServedHost(req: IncomingMessage, configuredHost: string): boolean {
  const raw = req.headers.host;
  if (raw === undefined) return true; // HTTP/1.0 without Host: never a browser
  const name = hostnameOf(raw);
  if (name === undefined) return false;
  const configured = configuredHost.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return isLoopbackHost(name) || name === configured;
}

/** `scheme://host[:port]` as URL serialises it (default port dropped), or undefined for `null` and garbage. */
function originOf(value: string): string | undefined {
  if (value === 'null') return undefined;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** Whether `Origin` names the collector itself: its host and port are those of the request's `Host`. */
export function isOwnOrigin(origin: string, req: IncomingMessage): boolean {
  const o = originOf(origin);
  const host = req.headers.host;
  if (o === undefined || host === undefined) return false;
  const authority = new URL(o).host;
  for (const scheme of ['http:', 'https:']) {
    try {
      if (new URL(`${scheme}//${host.trim()}`).host === authority && o.startsWith(scheme)) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** The `Origin` header when it is exactly one of the listed CORS origins (already lower-cased), else undefined. */
export function listedOrigin(origin: string, corsOrigins: readonly string[]): string | undefined {
  if (corsOrigins.length === 0) return undefined;
  const o = originOf(origin);
  return o !== undefined && corsOrigins.includes(o) ? o : undefined;
}
