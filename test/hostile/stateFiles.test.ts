import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readToggle, writeToggle, TOGGLE_FILE } from '../../core/consent.js';
import { readStateFileSync, unsafeDataDir, writeStateFileSync } from '../../core/stateFile.js';
import { ensureInstallationId, INSTALLATION_ID_FILE, readInstallationId } from '../../receivers/environment/installationId.js';
import { COUNTERS_FILE, readPersistedCounts, writePersistedCounts } from '../../receivers/usage/counterStore.js';
import { TRACE_USAGE_FILE, TraceUsageBook } from '../../collector/usage/TraceUsageBook.js';
import { CURSOR_FILE, CursorStore } from '../../exporters/upload/cursor.js';
import { UPLOAD_STATE_FILE, writeUploadState, readUploadState, type UploadState } from '../../exporters/upload/state.js';
import { startCollector } from '../../collector/index.js';
import { cleanEnv, ROOT, runNode, SERVE_ARGS, tmpDir } from '../helpers.js';

const TARGET_TEXT = 'not yours to write\n';

/** A dir with a file outside it that every planted link points at. */
function planted(): { dir: string; target: string } {
  const root = tmpDir('statefile-');
  const dir = join(root, 'telemetry');
  mkdirSync(dir, { mode: 0o700 });
  const target = join(root, 'target.txt');
  writeFileSync(target, TARGET_TEXT);
  return { dir, target };
}

/** Links at the state file's name and at the temp names the writers used before (`{file}.{pid}.tmp`). */
function plantLinks(dir: string, name: string, target: string): void {
  symlinkSync(target, join(dir, name));
  symlinkSync(target, join(dir, `${name}.${process.pid}.tmp`));
}

function expectUntouched(dir: string, name: string, target: string): void {
  expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
  // The link at the state file's name was replaced by a regular private file (rename never follows a link).
  const st = lstatSync(join(dir, name));
  expect(st.isFile()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
  // No temp file left behind.
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') && !f.endsWith(`.${process.pid}.tmp`))).toEqual([]);
}

const state: UploadState = {
  version: 1, url: 'http://127.0.0.1:1/x', pid: 1, updated_at: '2026-01-01T00:00:00.000Z', last_success_at: null, last_attempt_at: null, last_error: null,
  pending_bytes: 0, pending_files: 0, store_bytes: 0, store_max_bytes: 0, sent_events: 7, sent_batches: 1, sent_bytes: 0, quarantined_events: 0,
  invalid_lines: 0, dropped_events: 0, quarantine_evicted: 0, consecutive_failures: 0, next_attempt_at: null, gzip: false,
};

describe('state files: planted links are never written through, reads refuse links and non-regular files', () => {
  it('consent toggle', () => {
    const { dir, target } = planted();
    plantLinks(dir, TOGGLE_FILE, target);
    writeFileSync(target, JSON.stringify({ enabled: true }));
    expect(readToggle(dir)).toBeUndefined(); // a link at consent.json is not read
    writeFileSync(target, TARGET_TEXT);
    writeToggle(dir, false);
    expectUntouched(dir, TOGGLE_FILE, target);
    expect(readToggle(dir)).toBe(false);
  });

  it('usage counters (and a FIFO at the name does not hang the reader)', () => {
    const { dir, target } = planted();
    execFileSync('mkfifo', [join(dir, COUNTERS_FILE)]);
    expect(readPersistedCounts(dir).commands.size).toBe(0);
    const { dir: d2, target: t2 } = planted();
    plantLinks(d2, COUNTERS_FILE, t2);
    writePersistedCounts(d2, { commands: new Map([['A', 2]]), metrics: new Map() });
    expectUntouched(d2, COUNTERS_FILE, t2);
    expect(readPersistedCounts(d2).commands.get('A')).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
  });

  it('trace usage', async () => {
    const { dir, target } = planted();
    plantLinks(dir, TRACE_USAGE_FILE, target);
    const book = new TraceUsageBook(dir, { saveIntervalMs: 10 });
    book.add({ byScenario: new Map([['s', { commands: new Map([['Cmd', 3]]), errors: 0 }]]), spans: 3, skipped: 0 });
    await book.flush();
    expectUntouched(dir, TRACE_USAGE_FILE, target);
    expect(new TraceUsageBook(dir).get('s')).toEqual({ commands: { Cmd: 3 }, errors: 0 });
  });

  it('installation id', () => {
    const { dir, target } = planted();
    plantLinks(dir, INSTALLATION_ID_FILE, target);
    writeFileSync(target, '6f1c1f0e-2b1c-4e3a-9f0e-1b2c3d4e5f60\n');
    expect(readInstallationId(dir)).toBeUndefined(); // the link is not read as the id
    const id = ensureInstallationId(dir);
    expect(readFileSync(target, 'utf8')).toBe('6f1c1f0e-2b1c-4e3a-9f0e-1b2c3d4e5f60\n');
    expect(lstatSync(join(dir, INSTALLATION_ID_FILE)).isFile()).toBe(true);
    expect(readInstallationId(dir)).toBe(id);
  });

  it('upload cursors and upload state', async () => {
    const { dir, target } = planted();
    plantLinks(dir, CURSOR_FILE, target);
    plantLinks(dir, UPLOAD_STATE_FILE, target);
    const cursors = new CursorStore(dir);
    cursors.load();
    cursors.set({ key: '1:2', name: 'a.jsonl', path: join(dir, 'a.jsonl'), size: 10, head: 'h' } as never, 10);
    await cursors.flush();
    await writeUploadState(dir, state);
    expectUntouched(dir, CURSOR_FILE, target);
    expectUntouched(dir, UPLOAD_STATE_FILE, target);
    expect(readUploadState(dir)?.sent_events).toBe(7);
  });

  it('the module: exclusive random temp names, 0600, and reads refuse links, dirs and FIFOs', () => {
    const { dir, target } = planted();
    writeStateFileSync(dir, 'x.json', '{}\n');
    expect(lstatSync(join(dir, 'x.json')).mode & 0o777).toBe(0o600);
    symlinkSync(target, join(dir, 'link.json'));
    expect(() => readStateFileSync(join(dir, 'link.json'))).toThrow();
    mkdirSync(join(dir, 'sub.json'));
    expect(() => readStateFileSync(join(dir, 'sub.json'))).toThrow(/not a regular file/);
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    expect(() => readStateFileSync(join(dir, 'fifo.json'))).toThrow(/not a regular file/);
  });
});

describe('a telemetry dir that others can write is refused', () => {
  function openDir(): string {
    const dir = join(tmpDir('open-dir-'), 'telemetry');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    return dir;
  }

  it('unsafeDataDir names the mode; a private or missing dir is fine', () => {
    expect(unsafeDataDir(openDir())).toMatch(/writable by others \(mode 0777\)/);
    expect(unsafeDataDir(tmpDir())).toBeUndefined();
    expect(unsafeDataDir(join(tmpDir(), 'not-yet'))).toBeUndefined();
  });

  it('collector: startCollector rejects with a ConfigError; the process exits non-zero with the message', async () => {
    const dir = openDir();
    await expect(startCollector({ port: 0, host: '127.0.0.1', dir, env: {} })).rejects.toThrow(/refusing to use TELEMETRY_DIR: telemetry dir .* is writable by others/);
    const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: cleanEnv({ NO_COLOR: '1', TELEMETRY_DIR: dir, TELEMETRY_PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/writable by others/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('host app: telemetry is off, nothing is recorded there, and it says so once', async () => {
    const dir = openDir();
    const r = await runNode(join(ROOT, 'test/usage/apps/counting-app.ts'), {
      nodeArgs: ['--import', join(ROOT, 'register.ts')],
      env: { TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'counting', TELEMETRY_ENABLED: 'true', EXIT_MODE: 'exit', EXIT_CODE: '0' },
    });
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect(r.stderr.match(/writable by others/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/telemetry off: telemetry dir/);
    expect(existsSync(join(dir, 'counting.jsonl'))).toBe(false);
  });
});
