import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientKey } from '../../collector/http/RateLimiter.js';
import { collector } from './setup.js';

const TOKEN = 'sekret-token-123';

/** One real upload over loopback, optionally from a chosen local address and with a bearer token. */
function post(url: string, opts: { token?: string; localAddress?: string } = {}): Promise<{ status: number; code?: string }> {
  const body = JSON.stringify([{ scenario: 'rl', event: 'e' }]);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const req = httpRequest(`${url}/api/v1/telemetry/upload`, { method: 'POST', headers, localAddress: opts.localAddress, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('rate limit keys', () => {
  it('keys IPv4 per address, IPv4-mapped IPv6 as IPv4 and other IPv6 per /64', () => {
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:abcd::9%eth0')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%lo')).toBe('fe80:0:0:0::/64');
  });

  it('an unauthenticated flood does not make the token holder wait (127.0.0.1)', async () => {
    const c = await collector({ rateLimit: 1, rateBurst: 3, authToken: TOKEN });
    const flood: number[] = [];
    for (let i = 0; i < 20; i++) flood.push((await post(c.url)).status);
    expect(flood.slice(0, 3)).toEqual([401, 401, 401]);
    expect(flood).toContain(429);
    // Wrong tokens are a flood too.
    expect((await post(c.url, { token: 'wrong-token-000' })).status).toBe(429);
    const mine = await post(c.url, { token: TOKEN });
    expect(mine.status).toBe(200);
    // ... and the token holder has a bucket of its own, limited too.
    const more: number[] = [];
    for (let i = 0; i < 6; i++) more.push((await post(c.url, { token: TOKEN })).status);
    expect(more).toContain(429);
  });

  it('an unauthenticated flood does not make the token holder wait (::1)', async (t) => {
    let c;
    try {
      c = await collector({ host: '::1', rateLimit: 1, rateBurst: 3, authToken: TOKEN });
    } catch {
      t.skip(); // no IPv6 loopback here
      return;
    }
    const url = c.url;
    expect(url).toContain("[::1]");
    for (let i = 0; i < 20; i++) await post(url);
    expect((await post(url)).status).toBe(429);
    expect((await post(url, { token: TOKEN })).status).toBe(200);
  });

  it('keys IPv4 clients per address: a flood from 127.0.0.2 leaves 127.0.0.1 alone', async () => {
    const c = await collector({ rateLimit: 1, rateBurst: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(c.url, { localAddress: '127.0.0.2' })).status);
    expect(statuses).toContain(429);
    expect((await post(c.url, { localAddress: '127.0.0.1' })).status).toBe(200);
  });
});
