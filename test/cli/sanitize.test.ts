import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeUploadState, type UploadState } from '../../exporters/upload/state.js';
import { tmpDir } from '../helpers.js';
import { cli, CliProcess, line } from './cliProcess.js';

// What a hostile uploader, file or endpoint can put in front of the user: screen clear, OSC 8 link, C1 CSI, bidi
// override and isolate, a bare CR and BEL.
const ESC_CLEAR = '\u001b[2J\u001b[H';
const OSC8 = '\u001b]8;;https://evil.example/\u0007click me\u001b]8;;\u0007';
const C1 = '\u009b31m';
const BIDI = 'abc\u202etxt.exe\u2066iso\u2069\u200f\u061c';
const HOSTILE = `${ESC_CLEAR}${OSC8}${C1}${BIDI}\r\u0085\u007f`;

/** Any raw C0 (but line breaks), DEL, C1 or bidi control. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function expectShownNotObeyed(text: string): void {
  expect(text).not.toMatch(RAW);
  expect(text).toContain('\\u001b[2J');
  expect(text).toContain('\\u202e');
}

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length > 0) await new Promise((r) => servers.pop()!.close(r));
});

/** A stand-in collector on loopback answering every request with `status` and `body`. */
async function endpoint(status: number, body: string): Promise<string> {
  const s = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('terminal escapes from outside are shown, not obeyed', { timeout: 180_000 }, () => {
  const dir = tmpDir('opt-cli-sanitize-');
  const lines = [
    line({ ts: '2025-01-15T12:00:00.000Z', event: `crash${BIDI}`, level: 'fatal', deployment_id: `d${C1}\u2067`, details: { message: HOSTILE }, id: 's1' }),
    line({ ts: '2025-01-15T12:00:01.000Z', event: 'migration_failed', details: { error: `${BIDI}${C1}${HOSTILE}` }, id: 's2' }),
  ];
  writeFileSync(join(dir, 'app.jsonl'), lines.join('\n') + '\n');

  it('logs table: C0, C1 and bidi controls escaped; jsonl stays exactly the stored bytes', async () => {
    const r = await cli(['logs', 'app', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expectShownNotObeyed(r.stdout);
    expect(r.stdout).toContain('\\u2067');
    expect(r.stdout).toContain('\\u009b31m');
    const j = await cli(['logs', 'app', '--dir', dir, '--format', 'jsonl']);
    expect(j.stdout).toBe(lines.join('\n') + '\n');
  });

  it('summary from files: table escaped; json exactly the data', async () => {
    const r = await cli(['summary', 'app', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('\\u202e');
    expect(r.stdout).toContain('\\u009b');
    const j = await cli(['summary', 'app', '--dir', dir, '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    const body = JSON.parse(j.stdout) as { recent_failures: { event: string; details: { error?: string } }[] };
    expect(body.recent_failures.map((f) => f.details.error)).toContain(`${BIDI}${C1}${HOSTILE}`);
    expect(j.stdout).toContain('\u202e'); // JSON leaves bidi as is: exactly the data
  });

  it('summary --url: an endpoint error body and its scenario names are escaped', async () => {
    const bad = await endpoint(500, `oops ${HOSTILE}`);
    const r = await cli(['summary', '--url', bad]);
    expect(r.code).toBe(1);
    expectShownNotObeyed(r.stderr);
    expect(r.stderr).toContain('\\u001b]8;;https://evil.example/\\u0007');
    const notJson = await endpoint(200, `<html>${HOSTILE}`);
    const n = await cli(['summary', '--url', notJson]);
    expect(n.code).toBe(1);
    expectShownNotObeyed(n.stderr);
    const summary = { scenarios: [{ scenario: `x${ESC_CLEAR}${BIDI}`, total_events: `1${ESC_CLEAR}`, last_event: `t${OSC8}`, failure_counts: { [`f${C1}${BIDI}`]: `2${C1}` }, recent_failures: [] }], total_scenarios: 1 };
    const ok = await endpoint(200, JSON.stringify(summary));
    const t = await cli(['summary', '--url', ok]);
    expect(t.code, t.stderr).toBe(0);
    expectShownNotObeyed(t.stdout);
    const j = await cli(['summary', '--url', ok, '--format', 'json']);
    expect(JSON.parse(j.stdout)).toEqual({ scenarios: summary.scenarios, total_scenarios: 1 });
  });

  it("status: the endpoint's last upload error is escaped in the table, exact in JSON", async () => {
    const d = tmpDir('opt-cli-sanitize-status-');
    const state: UploadState = {
      version: 1, url: 'https://collector.example.com/api/v1/telemetry/upload', pid: 1, updated_at: '2025-01-15T12:00:10.000Z',
      last_success_at: null, last_attempt_at: '2025-01-15T12:00:09.000Z', last_error: `HTTP 500: ${HOSTILE}`,
      pending_bytes: 0, pending_files: 0, store_bytes: 0, store_max_bytes: 67_108_864, sent_events: 0, sent_batches: 0,
      sent_bytes: 0, quarantined_events: 0, invalid_lines: 0, dropped_events: 0, quarantine_evicted: 0,
      consecutive_failures: 3, next_attempt_at: null, gzip: true,
    };
    await writeUploadState(d, state);
    const env = { TELEMETRY_DIR: d, TELEMETRY_UPLOAD_URL: 'https://collector.example.com/api/v1/telemetry/upload' };
    const r = await cli(['status'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Last upload error');
    expectShownNotObeyed(r.stdout);
    const j = await cli(['status', '--format', 'json'], env);
    expect((JSON.parse(j.stdout) as { upload: { last_error: string } }).upload.last_error).toBe(`HTTP 500: ${HOSTILE}`);
  });

  it('the missing-scenario hint escapes file names', async () => {
    const d = tmpDir('opt-cli-sanitize-names-');
    writeFileSync(join(d, `evil${ESC_CLEAR}\u202egnp.jsonl`), '');
    writeFileSync(join(d, `ok${C1}.jsonl`), '');
    const r = await cli(['logs', 'nosuch', '--dir', d]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('scenarios there');
    expectShownNotObeyed(r.stderr);
    expect(r.stderr).toContain('\\u009b');
  });

  it('serve: diagnostics quoting a stored line escape it', async () => {
    const d = tmpDir('opt-cli-sanitize-serve-');
    writeFileSync(join(d, 'app.jsonl'), `not json ${HOSTILE}\n` + line({ ts: '2025-01-15T12:00:00.000Z', event: 'ok', id: 'v1' }) + '\n');
    const p = new CliProcess(['serve', '--dir', d, '--port', '0', '--host', '127.0.0.1']);
    try {
      await p.waitFor(/skipped unreadable line[^\n]*\n/, 'stderr');
      await p.waitFor(/listening on/);
      expect(p.stderr).not.toMatch(RAW);
      expect(p.stderr).toContain('\\u001b[2J');
      expect(p.stderr).toContain('\\u202e');
    } finally {
      await p.stop();
    }
  });
});
