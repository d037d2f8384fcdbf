import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../collector/config.js';
import { CollectorServer } from '../../collector/CollectorServer.js';
import { findDashboardDir } from '../../collector/dashboard/files.js';
import { DASHBOARD_CSP, dashboardRoutes } from '../../collector/dashboard/routes.js';
import { createStore } from '../../collector/stores/index.js';
import { cleanEnv, ROOT, tmpDir } from '../helpers.js';
import { collector } from '../server/setup.js';

/**
 * Serving the built dashboard (dist/dashboard, made by `npx tsup`; `npm test` builds first): headers, gzip,
 * revalidation, paths that try to leave the folder, a missing build, and the built package in ESM, CJS and the CLI.
 */
const DIST = join(ROOT, 'dist', 'dashboard');

/** A raw GET (fetch would decode gzip and normalise `..` in the path). */
function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assetNames(): { js: string; css: string } {
  const files = readdirSync(DIST);
  return { js: files.find((f) => /^app-[A-Za-z0-9]+\.js$/.test(f))!, css: files.find((f) => /^app-[A-Za-z0-9]+\.css$/.test(f))! };
}

beforeAll(() => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/dashboard is not built: run `npx tsup` (npm test builds it first)');
});

describe('dashboard files', () => {
  it('serves index.html with no-cache, the CSP and nosniff, naming the hashed files', async () => {
    const c = await collector();
    const res = await get(c.url, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-encoding']).toBeUndefined();
    const html = res.body.toString('utf8');
    const { js, css } = assetNames();
    expect(html).toContain(`<script type="module" src="/assets/${js}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/assets/${css}">`);
    // Nothing inline: no <script> with content, no <style>, no style= or on...= attributes, no foreign origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves hashed assets as immutable, gzipped when accepted, with an ETag that revalidates', async () => {
    const c = await collector();
    const { js, css } = assetNames();
    for (const [name, type] of [
      [js, 'text/javascript; charset=utf-8'],
      [css, 'text/css; charset=utf-8'],
    ] as const) {
      const plain = await get(c.url, `/assets/${name}`);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-type']).toBe(type);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(plain.headers['x-content-type-options']).toBe('nosniff');
      expect(plain.body.equals(readFileSync(join(DIST, name)))).toBe(true);
      const gz = await get(c.url, `/assets/${name}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toBe('Accept-Encoding');
      expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
      expect(gz.body.length).toBeLessThan(plain.body.length / 2);
      expect(gz.headers.etag).not.toBe(plain.headers.etag);
      const again = await get(c.url, `/assets/${name}`, { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      const refused = await get(c.url, `/assets/${name}`, { 'accept-encoding': 'gzip;q=0' });
      expect(refused.headers['content-encoding']).toBeUndefined();
    }
    const index = await get(c.url, '/');
    expect((await get(c.url, '/', { 'if-none-match': String(index.headers.etag) })).status).toBe(304);
  });

  it('never reads outside dist/dashboard, whatever the path', async () => {
    const c = await collector();
    const paths = [
      '/assets/../package.json',
      '/assets/..%2fpackage.json',
      '/assets/..%2F..%2Fpackage.json',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..\\..\\package.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/index.html',
      '/assets/index.html%00.js',
      '/assets/%00',
      '/assets/.',
      '/assets/..',
      '/assets/%2e%2e',
      '/assets/',
      '/assets/%252e%252e%252fpackage.json',
      '/assets/app.js/..',
      '/../package.json',
      '/%2e%2e/package.json',
      '/dist/dashboard/index.html',
      '/assets/%ZZ',
    ];
    for (const p of paths) {
      const res = await get(c.url, p);
      expect([400, 404], p).toContain(res.status);
      expect(res.headers['content-type'], p).toBe('application/json; charset=utf-8');
      const body = JSON.parse(res.body.toString('utf8')) as { code: string };
      expect(body.code, p).toMatch(/^OPT_ERR_/);
      expect(res.body.toString('utf8'), p).not.toContain('"name": "otel-product-telemetry"');
    }
  });

  it('serves only the build\'s own regular files from the folder (no symlink, no odd names)', async () => {
    const dir = tmpDir('dash-');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'app-ABC.js'), 'export {};');
    writeFileSync(join(dir, '.hidden.js'), 'secret');
    writeFileSync(join(dir, 'notes.txt'), 'secret');
    symlinkSync(join(ROOT, 'package.json'), join(dir, 'link-ABC.js'));
    mkdirSync(join(dir, 'sub.js'));
    const s = await bare(dashboardRoutes({ dir }));
    try {
      expect((await get(s.url, '/assets/app-ABC.js')).status).toBe(200);
      for (const name of ['.hidden.js', 'notes.txt', 'link-ABC.js', 'sub.js']) expect((await get(s.url, `/assets/${name}`)).status, name).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('answers 404 with a JSON message naming the missing build, not a crash', async () => {
    const s = await bare(dashboardRoutes({ dir: join(tmpDir('dash-'), 'nothing-here') }));
    try {
      for (const p of ['/', '/assets/app-ABC.js']) {
        const res = await get(s.url, p);
        expect(res.status).toBe(404);
        const body = JSON.parse(res.body.toString('utf8')) as { code: string; error: string };
        expect(body.code).toBe('OPT_ERR_DASHBOARD_MISSING');
        expect(body.error).toContain('npm run build');
      }
    } finally {
      await s.close();
    }
  });

  it('finds dist/dashboard from the ESM and CJS builds, the CLI chunks and the sources, never the source folder', () => {
    const pkg = tmpDir('pkg-');
    const dist = join(pkg, 'dist');
    mkdirSync(join(dist, 'dashboard'), { recursive: true });
    mkdirSync(join(dist, 'cli-chunks'), { recursive: true });
    mkdirSync(join(pkg, 'collector', 'dashboard'), { recursive: true });
    mkdirSync(join(pkg, 'dashboard'), { recursive: true });
    writeFileSync(join(pkg, 'dashboard', 'index.html'), 'template');
    expect(findDashboardDir(dist)).toBeUndefined(); // not built yet; the source template does not count
    expect(findDashboardDir(join(pkg, 'collector', 'dashboard'))).toBeUndefined();
    writeFileSync(join(dist, 'dashboard', 'index.html'), 'built');
    expect(findDashboardDir(dist)).toBe(join(dist, 'dashboard'));
    expect(findDashboardDir(join(dist, 'cli-chunks'))).toBe(join(dist, 'dashboard'));
    expect(findDashboardDir(join(pkg, 'collector', 'dashboard'))).toBe(join(dist, 'dashboard'));
    expect(findDashboardDir(join(ROOT, 'collector', 'dashboard'))).toBe(DIST);
  });

  it('is served by the built package: ESM, CJS and the CLI (dist/cli.cjs serve)', async () => {
    const { js } = assetNames();
    const starts = [
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(ROOT, 'dist', 'collector.js'))}); const c = await m.startCollector({ port: 0, dir: process.argv[1] }); console.log('URL ' + c.url);`],
      ['-e', `require(${JSON.stringify(join(ROOT, 'dist', 'collector.cjs'))}).startCollector({ port: 0, dir: process.argv[1] }).then((c) => console.log('URL ' + c.url));`],
      [join(ROOT, 'dist', 'cli.cjs'), 'serve', '--port', '0', '--dir'],
    ];
    for (const args of starts) {
      const child = spawn(process.execPath, [...args, tmpDir('dash-dir-')], { cwd: tmpDir('cwd-'), env: cleanEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          const timer = setTimeout(() => reject(new Error(`no URL from ${args.join(' ')}: ${out}`)), 20_000);
          const onData = (d: Buffer): void => {
            out += d.toString();
            const m = /(?:URL |listening on )(http:\/\/[^\s]+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]!);
            }
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
        });
        const page = await get(url, '/');
        expect(page.status, args[0]).toBe(200);
        expect(page.body.toString('utf8')).toContain(js);
        expect((await get(url, `/assets/${js}`)).status, args[0]).toBe(200);
      } finally {
        child.kill('SIGKILL');
      }
    }
  });
});

/** A collector server with only the given routes (the built-in ones already hold `/`). */
async function bare(routes: ReturnType<typeof dashboardRoutes>): Promise<{ url: string; close: () => Promise<void> }> {
  const config = loadCollectorConfig({ port: 0, host: '127.0.0.1', dir: tmpDir('dash-data-') }, {});
  const store = createStore(config, {});
  await store.open();
  const server = new CollectorServer(config, store, routes);
  const addr = await server.listen();
  return {
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      await server.close(1000);
      await store.close();
    },
  };
}


