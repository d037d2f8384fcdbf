import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.js';
import { cli, line, parseLines } from './cliProcess.js';

// A fixture written the way the pipeline writes (plus what goes wrong in real files: a torn line, garbage, blanks).
const dir = tmpDir('opt-cli-logs-');
const now = Date.now();
const ago = (ms: number): string => new Date(now - ms).toISOString();
const H = 3_600_000;
const LINES = [
  line({ ts: '2025-01-15T12:00:00.000Z', event: 'app_start', deployment_id: 'deploy-123', details: { version: '1.0.0', platform: 'win-x64' }, id: 'a1' }),
  line({ ts: '2025-01-15T12:00:05.000Z', event: 'ready', deployment_id: 'deploy-123', installation_id: '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3', details: { startup_ms: 5000 }, id: 'a2' }),
  line({ ts: '2025-01-15T12:10:00.000Z', event: 'dependency_unreachable', deployment_id: 'deploy-123', details: { service_id: 'api', dependency: 'sqlite', reason: 'connection timeout' }, id: 'a3' }),
  line({ ts: '2025-01-15T12:20:00.000Z', event: 'migration_failed', details: { version: '42', error: 'SQLITE_BUSY' }, id: 'a4' }),
  line({ ts: '2025-01-15T12:30:00.000Z', event: 'cache_miss', level: 'warn', details: { key: 'k' }, id: 'a5' }),
  line({ ts: '2025-01-15T12:40:00.000Z', event: 'health_check_failed', level: 'info', details: { note: 'expected during deploy' }, id: 'a6' }),
  line({ ts: '2025-01-15T13:00:00.000Z', event: 'crash', level: 'fatal', details: { message: 'boom', sqlite: true }, id: 'a7' }),
  line({ ts: ago(3 * H), event: 'update_check_started', details: { channel: 'stable' }, id: 'b1' }),
  line({ ts: ago(H), event: 'update_error', details: { stage: 'download', error: 'ETIMEDOUT' }, id: 'b2' }),
  line({ ts: ago(10 * 60_000), event: 'shutdown', deployment_id: 'sqlite-host', details: { reason: 'user' }, id: 'b3' }),
];
const TORN = '{"ts":"2025-01-15T13:05:00.000Z","scenario":"app","event":"rea';
const GARBAGE = '{"ts":oops}';
// line numbers: 1-7 valid, 8 torn, 9 blank, 10 garbage, 11-13 valid
const FILE_TEXT = [...LINES.slice(0, 7), TORN, '', GARBAGE, ...LINES.slice(7)].join('\n') + '\n';
const ids = (stdout: string): unknown[] => parseLines(stdout).map((o) => o.id);
const logs = (...args: string[]) => cli(['logs', 'app', '--dir', dir, ...args]);

beforeAll(() => {
  writeFileSync(join(dir, 'app.jsonl'), FILE_TEXT);
  writeFileSync(join(dir, 'other.jsonl'), LINES[0] + '\n');
});

describe('logs: formats', { timeout: 180_000 }, () => {
  it('jsonl prints every valid line byte for byte and reports the torn and the invalid line with their numbers', async () => {
    const r = await logs('--format', 'jsonl');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(LINES.join('\n') + '\n');
    expect(r.stderr).toMatch(/app\.jsonl:8: torn line.*skipped/);
    expect(r.stderr).toMatch(/app\.jsonl:10: invalid JSON.*skipped/);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('json prints one JSON array of the same lines', async () => {
    const r = await logs('--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(LINES.map((l) => JSON.parse(l)));
    const empty = await logs('--format', 'json', '--event', 'nothing_like_this');
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('table shows time, event, level, deployment and short details, without colours when not a terminal', async () => {
    const r = await logs();
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+EVENT\s+LEVEL\s+DEPLOYMENT\s+DETAILS$/);
    expect(rows).toHaveLength(LINES.length + 1);
    expect(rows[1]).toMatch(/^2025-01-15T12:00:00\.000Z\s+app_start\s+info\s+deploy-123\s+\{"version":"1\.0\.0","platform":"win-x64"\}$/);
    expect(rows[4]).toMatch(/migration_failed\s+error\s+\{"version":"42"/);
    expect(rows[7]).toMatch(/crash\s+fatal/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('colours the table only when asked (FORCE_COLOR) and never with NO_COLOR', async () => {
    const forced = await cli(['logs', 'app', '--dir', dir, '--event', 'crash'], { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain('\u001b[35mfatal\u001b[39m');
    const off = await cli(['logs', 'app', '--dir', dir, '--event', 'crash'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(off.stdout).toContain('fatal');
    expect(off.stdout).not.toContain('\u001b[');
  });

  it('shows control characters in stored fields escaped, not interpreted by the terminal', async () => {
    const d = tmpDir('opt-cli-ctl-');
    writeFileSync(join(d, 'x.jsonl'), line({ ts: '2025-01-15T12:00:00.000Z', event: 'evil\u009b31m', deployment_id: 'd\u0007', details: { m: '\u001b[2J' } }) + '\n');
    const r = await cli(['logs', 'x', '--dir', d]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('evil\\u009b31m');
    expect(r.stdout).toContain('d\\u0007');
    expect(r.stdout).not.toMatch(/[\u0007\u001b\u009b]/);
  });
});

describe('logs: filters', { timeout: 180_000 }, () => {
  it('--level applies the documented rule: own level first, failure events are error, the rest info', async () => {
    expect(ids((await logs('--level', 'error', '--format', 'jsonl')).stdout)).toEqual(['a3', 'a4', 'a7', 'b2']);
    expect(ids((await logs('--level', 'warn', '--format', 'jsonl')).stdout)).toEqual(['a3', 'a4', 'a5', 'a7', 'b2']);
    expect(ids((await logs('--level', 'fatal', '--format', 'jsonl')).stdout)).toEqual(['a7']);
    expect(ids((await logs('--level', 'info', '--format', 'jsonl')).stdout)).toHaveLength(LINES.length);
  });

  it('--search looks in event names and in details keys and values, case-sensitive unless -i', async () => {
    // a3 has sqlite in a value, a7 as a key; b3 only in deployment_id (not searched); a4 has SQLITE_BUSY
    expect(ids((await logs('--search', 'sqlite', '--format', 'jsonl')).stdout)).toEqual(['a3', 'a7']);
    expect(ids((await logs('--search', 'sqlite', '-i', '--format', 'jsonl')).stdout)).toEqual(['a3', 'a4', 'a7']);
    expect(ids((await logs('--search', 'update', '--format', 'jsonl')).stdout)).toEqual(['b1', 'b2']);
    expect(ids((await logs('--search', 'say "hi"', '--format', 'jsonl')).stdout)).toEqual([]);
  });

  it('--since/--until take ISO times (inclusive) and durations before now', async () => {
    expect(ids((await logs('--since', '2025-01-15T12:10:00Z', '--until', '2025-01-15T12:30:00.000Z', '--format', 'jsonl')).stdout)).toEqual(['a3', 'a4', 'a5']);
    expect(ids((await logs('--since', '2h', '--format', 'jsonl')).stdout)).toEqual(['b2', 'b3']);
    expect(ids((await logs('--since', '4h', '--until', '30m', '--format', 'jsonl')).stdout)).toEqual(['b1', 'b2']);
    expect(ids((await logs('--until', '2025-01-15', '--format', 'jsonl')).stdout)).toEqual([]);
  });

  it('--event keeps the named events (repeatable and comma-separated)', async () => {
    expect(ids((await logs('--event', 'ready,crash', '--event', 'shutdown', '--format', 'jsonl')).stdout)).toEqual(['a2', 'a7', 'b3']);
  });

  it('--limit keeps the first N matches, --tail the last N, after the filters', async () => {
    expect(ids((await logs('--limit', '2', '--format', 'jsonl')).stdout)).toEqual(['a1', 'a2']);
    expect(ids((await logs('--tail', '2', '--format', 'jsonl')).stdout)).toEqual(['b2', 'b3']);
    expect(ids((await logs('--level', 'error', '--tail', '3', '--format', 'jsonl')).stdout)).toEqual(['a4', 'a7', 'b2']);
    expect(ids((await logs('--level', 'error', '--search', 'sqlite', '--limit', '1', '--format', 'jsonl')).stdout)).toEqual(['a3']);
    expect(ids((await logs('--tail', '0', '--format', 'jsonl')).stdout)).toEqual([]);
  });

  it('reads rotated segments ({scenario}.jsonl.{N}) before the active file', async () => {
    const d = tmpDir('opt-cli-seg-');
    writeFileSync(join(d, 's.jsonl.2000'), line({ ts: '2025-01-15T12:00:02.000Z', event: 'two', id: '2' }) + '\n');
    writeFileSync(join(d, 's.jsonl.1000'), line({ ts: '2025-01-15T12:00:01.000Z', event: 'one', id: '1' }) + '\n{"torn\n');
    writeFileSync(join(d, 's.jsonl'), line({ ts: '2025-01-15T12:00:03.000Z', event: 'three', id: '3' }) + '\n');
    const r = await cli(['logs', 's', '--dir', d, '--format', 'jsonl']);
    expect(ids(r.stdout)).toEqual(['1', '2', '3']);
    expect(r.stderr).toMatch(/s\.jsonl\.1000:2: torn/);
  });
});
