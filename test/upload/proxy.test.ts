import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { proxyFor } from '../../exporters/upload/proxy.js';
import { runNode, tmpDir } from '../helpers.js';

const app = join(import.meta.dirname, 'apps/post-once.ts');
const HOST = 'collector.test'; // never resolved by the client: only the proxy knows where it is

describe('proxyFor: the environment as curl and Go read it', () => {
  const u = (s: string): URL => new URL(s);
  it('picks the variable of the scheme, lower case first', () => {
    expect(proxyFor(u('https://a.example/x'), { HTTPS_PROXY: 'http://p:1' })?.href).toBe('http://p:1/');
    expect(proxyFor(u('https://a.example/x'), { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })?.host).toBe('lower:1');
    expect(proxyFor(u('http://a.example/x'), { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
    expect(proxyFor(u('http://a.example/x'), { HTTP_PROXY: 'p:3128' })?.href).toBe('http://p:3128/');
  });
  it('never proxies loopback; NO_PROXY by host, domain suffix, port, *', () => {
    const env = { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1' };
    for (const t of ['https://localhost:4318/', 'https://127.0.0.2/', 'https://[::1]:4318/']) expect(proxyFor(u(t), env)).toBeUndefined();
    expect(proxyFor(u('https://api.corp.example/'), { ...env, NO_PROXY: '.corp.example' })).toBeUndefined();
    expect(proxyFor(u('https://api.corp.example/'), { ...env, NO_PROXY: 'corp.example' })).toBeUndefined();
    expect(proxyFor(u('https://notcorp.example/'), { ...env, NO_PROXY: 'corp.example' })).toBeDefined();
    expect(proxyFor(u('https://a.example:8443/'), { ...env, no_proxy: 'a.example:443' })).toBeDefined();
    expect(proxyFor(u('https://a.example:8443/'), { ...env, no_proxy: 'a.example:8443' })).toBeUndefined();
    expect(proxyFor(u('https://a.example/'), { ...env, NO_PROXY: '*' })).toBeUndefined();
    expect(proxyFor(u('https://10.1.2.3/'), { ...env, NO_PROXY: '10.1.2.3' })).toBeUndefined();
  });
});

describe('uploads through a real forward proxy (child processes, loopback)', () => {
  const seen: string[] = [];
  const proxyAuth: (string | undefined)[] = [];
  let proxy: Server;
  let httpTarget: Server;
  let httpsTarget: Server;
  const received: { url: string; host?: string; auth?: string; body: string }[] = [];
  let dir: string;
  const port = (s: Server): number => (s.address() as AddressInfo).port;
  const answer = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ url: req.url ?? '', host: req.headers.host, auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  };

  beforeAll(async () => {
    dir = tmpDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`], { stdio: 'ignore' });
    httpTarget = createHttpServer(answer);
    httpsTarget = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, answer);
    // A forward proxy that knows one host, collector.test: plain requests by absolute URL go to the http target,
    // CONNECT tunnels to the https target. It records what it could see.
    proxy = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      proxyAuth.push(req.headers['proxy-authorization']);
      const target = new URL(req.url!);
      const fwd = request({ host: '127.0.0.1', port: port(httpTarget), method: req.method, path: target.pathname, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(fwd);
    });
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      seen.push(`CONNECT ${req.url}`);
      proxyAuth.push(req.headers['proxy-authorization']);
      const upstream = connect(port(httpsTarget), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    await Promise.all([proxy, httpTarget, httpsTarget].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(() => [proxy, httpTarget, httpsTarget].forEach((s) => s.close()));

  const post = async (url: string, env: Record<string, string>): Promise<{ proxied: boolean; status?: number; error?: string }> => {
    const r = await runNode(app, { env: { URL: url, ...env } });
    expect(r.stderr, JSON.stringify(r)).toBe('');
    if (!r.stdout.trim()) throw new Error(`no output: ${JSON.stringify(r)}`);
    return JSON.parse(r.stdout) as { proxied: boolean; status?: number; error?: string };
  };

  it('http: the request goes to the proxy by absolute URL, with Proxy-Authorization from the proxy URL', async () => {
    const url = `http://${HOST}:${port(httpTarget)}/api/v1/telemetry/upload`;
    const out = await post(url, { HTTP_PROXY: `http://user:p%40ss@127.0.0.1:${port(proxy)}` });
    expect(out).toMatchObject({ proxied: true, status: 200 });
    expect(seen.at(-1)).toBe(`POST ${url}`);
    expect(proxyAuth.at(-1)).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(received.at(-1)).toMatchObject({ url: '/api/v1/telemetry/upload', host: `${HOST}:${port(httpTarget)}`, auth: 'Bearer tok-123', body: '[{"event":"via_proxy"}]' });
  });

  it('https: a CONNECT tunnel, TLS end to end (the proxy sees the host, never the request or the token)', async () => {
    const before = seen.length;
    const out = await post(`https://${HOST}:${port(httpsTarget)}/api/v1/telemetry/upload`, { HTTPS_PROXY: `http://127.0.0.1:${port(proxy)}`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
    expect(out).toMatchObject({ proxied: true, status: 200 });
    expect(seen.slice(before)).toEqual([`CONNECT ${HOST}:${port(httpsTarget)}`]);
    expect(received.at(-1)).toMatchObject({ url: '/api/v1/telemetry/upload', auth: 'Bearer tok-123' });
  });

  it('NO_PROXY and loopback targets go direct (the proxy sees nothing)', async () => {
    const before = seen.length;
    const bypass = await post(`http://${HOST}:${port(httpTarget)}/x`, { HTTP_PROXY: `http://127.0.0.1:${port(proxy)}`, NO_PROXY: 'localhost,.test' });
    expect(bypass.proxied).toBe(false);
    expect(bypass.error).toMatch(/could not reach/); // collector.test does not resolve without the proxy
    const local = await post(`http://127.0.0.1:${port(httpTarget)}/y`, { HTTP_PROXY: `http://127.0.0.1:${port(proxy)}` });
    expect(local).toMatchObject({ proxied: false, status: 200 });
    expect(seen.length).toBe(before);
  });
});
