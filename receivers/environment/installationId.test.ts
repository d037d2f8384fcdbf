import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { ensureInstallationId, InstallationIdStore, INSTALLATION_ID_FILE, readInstallationId } from './installationId.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('installation id', () => {
  it('is created once as a random UUID (file mode 0600, no temp files left) and then read back', () => {
    const dir = join(tmpDir(), 'nested', 'telemetry');
    const id = ensureInstallationId(dir);
    expect(id).toMatch(UUID);
    expect(ensureInstallationId(dir)).toBe(id);
    expect(readInstallationId(dir)).toBe(id);
    const file = join(dir, INSTALLATION_ID_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([INSTALLATION_ID_FILE]);
  });

  it('replaces a file that holds no UUID', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, INSTALLATION_ID_FILE), 'garbage\n');
    const id = ensureInstallationId(dir);
    expect(id).toMatch(UUID);
    expect(readFileSync(join(dir, INSTALLATION_ID_FILE), 'utf8').trim()).toBe(id);
  });

  it('the store writes nothing while telemetry is off, then persists the same provisional id when it is on', () => {
    const dir = tmpDir();
    const store = new InstallationIdStore(dir);
    const provisional = store.get(false);
    expect(provisional).toMatch(UUID);
    expect(store.get(false)).toBe(provisional);
    expect(existsSync(join(dir, INSTALLATION_ID_FILE))).toBe(false);
    expect(store.get(true)).toBe(provisional);
    expect(readInstallationId(dir)).toBe(provisional);
  });

  it('the store adopts an id another process persisted first', () => {
    const dir = tmpDir();
    const store = new InstallationIdStore(dir);
    store.get(false);
    const other = ensureInstallationId(dir);
    expect(store.get(true)).toBe(other);
  });
});
