import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { resolveSettings } from '../../core/settings.js';
import { uploadSettings } from '../../exporters/upload/config.js';
import { startCollector } from '../../collector/index.js';
import { ROOT, runNode, tmpDir } from '../helpers.js';
import { startProcess, type RunningProcess } from '../upload/processes.js';

/**
 * Secrets and file modes, with real child processes logging through the most verbose diag logger:
 * - the collector's TELEMETRY_AUTH_TOKEN, the uploader's TELEMETRY_UPLOAD_TOKEN (wrong, then right) and a password in
 *   the upload URL never appear in any output, nor in any file either side writes;
 * - with umask 0 (so a forgotten mode would show as 0666/0777), every file the collector and the uploading app
 *   create is 0600 and every directory 0700: store files, consent.json, cursors, state, lock, quarantine, ...
 */

const COLLECTOR_TOKEN = 'collector-secret-Q7w9Zx31v';
const WRONG_UPLOAD_TOKEN = `${COLLECTOR_TOKEN}-but-wrong`;
const URL_PASSWORD = 'urlpass-secret-J4k8Hq';
const SECRETS = [COLLECTOR_TOKEN, WRONG_UPLOAD_TOKEN, URL_PASSWORD];

const collectorApp = join(ROOT, 'test/hostile/apps/collector-debug.ts');
const uploaderApp = join(ROOT, 'test/hostile/apps/uploader-debug.ts');

const running: RunningProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

function expectNoSecret(where: string, text: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${where} contains a secret (${s.slice(0, 8)}…)`).toBe(false);
}

/** Every entry under `root` (root included): path → mode bits and kind. */
function modes(root: string, out: { path: string; mode: number; kind: 'dir' | 'file' | 'other' }[] = []): typeof out {
  const st = lstatSync(root);
  out.push({ path: root, mode: st.mode & 0o777, kind: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other' });
  if (st.isDirectory()) for (const name of readdirSync(root)) modes(join(root, name), out);
  return out;
}

function appEnv(dir: string, url: string, extra: Record<string, string>): Record<string, string> {
  return {
    TELEMETRY_DIR: dir,
    TELEMETRY_SCENARIO: 'secret-app',
    TELEMETRY_FLUSH_INTERVAL_MS: '10',
    TELEMETRY_UPLOAD_URL: url,
    TELEMETRY_UPLOAD_INTERVAL_MS: '50',
    TELEMETRY_UPLOAD_BACKOFF_MS: '50',
    TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '200',
    TELEMETRY_UPLOAD_TIMEOUT_MS: '3000',
    TELEMETRY_SHUTDOWN_TIMEOUT_MS: '1000',
    ...extra,
  };
}

describe('secrets stay out of logs and files; everything created is 0600 / 0700', () => {
  it('collector and uploader at diag level ALL: failing and succeeding authenticated requests never print a token, files and dirs are private', async () => {
    const serverDir = join(tmpDir('secrets-'), 'collector-data');
    const collector = startProcess(collectorApp, {
      TELEMETRY_PORT: '0',
      TELEMETRY_HOST: '127.0.0.1',
      TELEMETRY_DIR: serverDir,
      TELEMETRY_AUTH_TOKEN: COLLECTOR_TOKEN,
      TELEMETRY_MAX_DETAILS_KEYS: '2',
      OTEL_LOG_LEVEL: 'debug',
    });
    running.push(collector);
    const base = (await collector.waitForOutput(/listening on (http:\/\/\S+)/))[1]!;
    const uploadUrl = `${base}/api/v1/telemetry/upload`;

    // Direct requests: no token, a wrong one that contains the right one, the right one in the query string, right.
    const post = (auth: string | undefined, query = ''): Promise<Response> =>
      fetch(`${uploadUrl}${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth && { authorization: auth }) }, body: '[{"scenario":"direct","event":"e"}]' });
    expect((await post(undefined)).status).toBe(401);
    expect((await post(`Bearer ${WRONG_UPLOAD_TOKEN}`)).status).toBe(401);
    expect((await post(undefined, `?token=${COLLECTOR_TOKEN}`)).status).toBe(401);
    expect((await post(`Bearer ${COLLECTOR_TOKEN}`)).status).toBe(200);
    const refused = await fetch(`${uploadUrl}?token=${COLLECTOR_TOKEN}`, { method: 'POST', headers: { authorization: `Bearer ${COLLECTOR_TOKEN}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(refused.status).toBe(415);
    expectNoSecret('a refusal', await refused.text());

    // OTLP traces are counted as usage and persisted by the collector (one more file it creates).
    const span = { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'CreateOrder', kind: 2, startTimeUnixNano: '1736942400000000000', endTimeUnixNano: '1736942400100000000' };
    const traces = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${COLLECTOR_TOKEN}` },
      body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'secret-app' } }] }, scopeSpans: [{ spans: [span] }] }] }),
    });
    expect(traces.status).toBe(200);

    // The uploading app: wrong token, then the right one with a password in the URL, then the right one plainly.
    const appDir = join(tmpDir('secrets-'), 'app-data');
    const wrong = await runNode(uploaderApp, {
      env: appEnv(appDir, uploadUrl, { TELEMETRY_UPLOAD_TOKEN: WRONG_UPLOAD_TOKEN, APP_EVENTS: '5', APP_PREFIX: 'wrong', APP_WAIT_MS: '1500', OTEL_LOG_LEVEL: 'debug' }),
      timeoutMs: 30_000,
    });
    expectNoSecret('uploader output (wrong token)', wrong.stdout + wrong.stderr);
    // The failure was logged (the check above is not vacuous): 401 names the variable, not its value.
    expect(wrong.stdout + wrong.stderr).toMatch(/401/);
    expect(wrong.stdout + wrong.stderr).toMatch(/TELEMETRY_UPLOAD_TOKEN/);

    const credUrl = uploadUrl.replace('http://', `http://user:${URL_PASSWORD}@`);
    const withCreds = await runNode(uploaderApp, {
      env: appEnv(appDir, credUrl, { TELEMETRY_UPLOAD_TOKEN: COLLECTOR_TOKEN, APP_EVENTS: '10', APP_PREFIX: 'cred', APP_WAIT_MS: '8000' }),
      timeoutMs: 30_000,
    });
    expectNoSecret('uploader output (URL with a password)', withCreds.stdout + withCreds.stderr);
    const right = await runNode(uploaderApp, {
      env: appEnv(appDir, uploadUrl, { TELEMETRY_UPLOAD_TOKEN: COLLECTOR_TOKEN, APP_EVENTS: '10', APP_PREFIX: 'right', APP_WAIT_MS: '8000' }),
      timeoutMs: 30_000,
    });
    expectNoSecret('uploader output (right token)', right.stdout + right.stderr);
    const status = JSON.parse(/status (.*)/.exec(right.stdout)![1]!) as { sent_events: number; quarantined_events: number; pending_bytes: number };
    expect(status.pending_bytes).toBe(0);
    expect(status.quarantined_events).toBeGreaterThan(0); // the three-key events: the quarantine exists

    collector.kill('SIGTERM');
    expect((await collector.exited).code).toBe(0);
    expectNoSecret('collector output', collector.stdout + collector.stderr);
    expect(collector.stdout + collector.stderr).toMatch(/collector store loaded/); // debug logging was on

    // Delivered: the app's events arrived (the wrong-token ones too, once the token was right).
    const stored = readFileSync(join(serverDir, 'secret-app.jsonl'), 'utf8');
    for (const id of ['wrong-0', 'cred-0', 'right-0', 'right-8']) expect(stored).toContain(`"id":"${id}"`);

    // Files and dirs on both sides: private, and free of secrets.
    const entries = [...modes(serverDir), ...modes(appDir)];
    const names = entries.map((e) => e.path.replace(appDir, '{app}').replace(serverDir, '{collector}'));
    for (const expected of ['{app}/consent.json', '{app}/installation-id', '{app}/upload-cursors.json', '{app}/upload-state.json', '{app}/quarantine', '{app}/secret-app.jsonl', '{collector}/secret-app.jsonl', '{collector}/trace-usage.json']) {
      expect(names, expected).toContain(expected);
    }
    if (process.env.SHOW_MODES) console.log(names.join('\n'));
    for (const e of entries) {
      expect(e.kind, e.path).not.toBe('other');
      expect(`${e.path} ${(e.mode).toString(8)}`).toBe(`${e.path} ${e.kind === 'dir' ? '700' : '600'}`);
      if (e.kind === 'file') expectNoSecret(e.path, readFileSync(e.path, 'latin1'));
    }
  });

  it('configuration errors name a bad token variable without echoing its value', async () => {
    const bad = `${COLLECTOR_TOKEN} with a space`;
    const err = await startCollector({ port: 0, dir: tmpDir(), env: { TELEMETRY_AUTH_TOKEN: bad } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('TELEMETRY_AUTH_TOKEN');
    expectNoSecret('collector config error', (err as Error).message);
    // The upload token and the ClickHouse password are credentials too (recognised by their variable names).
    const up = (() => {
      try {
        resolveSettings(uploadSettings, {}, { TELEMETRY_UPLOAD_TOKEN: `${WRONG_UPLOAD_TOKEN} x` });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(up?.message).toContain('TELEMETRY_UPLOAD_TOKEN');
    expectNoSecret('upload config error', up?.message ?? '');
    // The CLI serve command prints that a token is required, never the token.
    const serve = await runNode(join(ROOT, 'cli/main.ts'), { args: ['serve', '--port', '0', '--dir', tmpDir(), '--token', `${COLLECTOR_TOKEN} bad`], timeoutMs: 20_000 });
    expect(serve.code).not.toBe(0);
    expectNoSecret('serve output', serve.stdout + serve.stderr);
  });
});
