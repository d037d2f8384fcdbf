import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { builtin } from './builtins.js';

/**
 * The proxy an upload to `target` goes through, from the environment the way curl and Go's net/http read it:
 * `https_proxy`/`HTTPS_PROXY` for https targets, `http_proxy`/`HTTP_PROXY` for http ones (lower case first), unless
 * `no_proxy`/`NO_PROXY` names the host (`*`; a host or domain, matching itself and its subdomains, with or without a
 * leading dot; optionally `:port`; an IP address). Loopback targets are never proxied (as in Go): a local collector
 * stays local whatever the machine's proxy settings.
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const raw = target.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY) : (env.http_proxy ?? env.HTTP_PROXY);
  if (raw === undefined || raw.trim() === '') return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host) || bypassed(host, portOf(target), env.no_proxy ?? env.NO_PROXY)) return undefined;
  try {
    const proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
    return proxy.protocol === 'http:' || proxy.protocol === 'https:' ? proxy : undefined;
  } catch {
    return undefined;
  }
}

function portOf(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (builtin('node:net').isIP(host) === 4 && host.startsWith('127.'));
}

function bypassed(host: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  for (let entry of noProxy.split(/[\s,]+/)) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && !entry.includes('::')) [entry, entryPort] = [m[1]!, m[2]];
    entry = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    if (entryPort !== undefined && entryPort !== port) continue;
    if (host === entry || (builtin('node:net').isIP(host) === 0 && host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/** `Proxy-Authorization` for a proxy URL with user info. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/**
 * Open a tunnel to `host:port` through `proxy` with HTTP CONNECT and hand the raw socket to `done` (the https agent
 * then runs TLS over it, so the proxy sees only the host name, never the request, the token or the events).
 */
export function connectTunnel(
  httpLib: typeof http,
  proxy: URL,
  host: string,
  port: string,
  done: (err: Error | null, socket?: Duplex) => void,
): void {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const auth = proxyAuthorization(proxy);
  const req = httpLib.request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
    method: 'CONNECT',
    path: authority,
    headers: { host: authority, ...(auth ? { 'proxy-authorization': auth } : {}) },
  });
  req.once('connect', (res, socket) => {
    if (res.statusCode === 200) return done(null, socket);
    socket.destroy();
    done(new Error(`proxy ${proxy.host} refused the tunnel to ${authority} (${res.statusCode})`));
  });
  req.once('error', (err) => done(new Error(`proxy ${proxy.host} unreachable: ${err.message}`)));
  req.end();
}
