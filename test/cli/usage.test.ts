import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpDir } from '../helpers.js';
import { cli, line } from './cliProcess.js';

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dir = tmpDir('opt-cli-usage-');
writeFileSync(join(dir, 'app.jsonl'), line({ ts: '2025-01-15T12:00:00.000Z', event: 'app_start' }) + '\n');
writeFileSync(join(dir, 'web.jsonl'), line({ ts: '2025-01-15T12:00:00.000Z', event: 'app_start' }) + '\n');

describe('exit codes and messages', { timeout: 180_000 }, () => {
  it.each([
    [['logs', 'app', '--bogus'], /unknown option '--bogus'/],
    [['logs', 'app', '--level', 'loud'], /'-l, --level <level>' argument 'loud' is invalid\. Allowed choices are info, warn, error, fatal/],
    [['logs', 'app', '--since', 'yesterday'], /'--since <time>' argument 'yesterday' is invalid\. expected an ISO 8601 time/],
    [['logs', 'app', '--limit', '0'], /--limit <n>' argument '0' is invalid\. expected a whole number of 1 or more/],
    [['logs', 'app', '--limit', '2', '--tail', '2'], /cannot be used with option '-t, --tail <n>'/],
    [['logs', 'app', '--format', 'xml'], /Allowed choices are table, json, jsonl/],
    [['logs', '../etc/passwd'], /not a scenario name/],
    [['logs'], /missing required argument 'scenario'/],
    [['logs', 'app', '--url', 'ftp://x'], /expected an absolute http:\/\/ or https:\/\/ URL/],
    [['logs', 'app', '--since', '2025-01-16', '--until', '2025-01-15'], /--since is later than --until/],
    [['serve', '--port', '70000'], /expected a port number from 0 to 65535/],
    [['summary', '--format', 'yaml'], /Allowed choices are table, json/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /Usage: otel-product-telemetry/],
  ])('%j is a usage error: exit 2 with a clear message', async (args, message) => {
    const r = await cli([...args, ...(args[0] === 'logs' && args.length > 1 ? ['--dir', dir] : [])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('an invalid environment variable is a configuration error (exit 2) naming it', async () => {
    const r = await cli(['status'], { TELEMETRY_DIR: dir, TELEMETRY_ENABLED: 'maybe' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TELEMETRY_ENABLED="maybe": expected one of true, false/);
  });

  it('runtime errors exit 1: unknown scenario (listing the known ones), unreachable collector', async () => {
    const missing = await cli(['logs', 'nope', '--dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no events for scenario "nope" in .*\(scenarios there: app, web\)/);
    const port = await freePort();
    const down = await cli(['logs', 'app', '--url', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the collector at http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(down.stdout).toBe('');
  });

  it('--help on every command exits 0 with examples; --version prints the version', async () => {
    for (const cmd of ['serve', 'logs', 'summary', 'data', 'status', 'enable', 'disable']) {
      const r = await cli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`Usage: otel-product-telemetry ${cmd}`));
      expect(r.stdout, cmd).toMatch(/Examples:\n {2}\$ otel-product-telemetry /);
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes: 0 success, 1 runtime error, 2 usage or configuration error/);
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
