import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tmpDir } from '../helpers.js';

const app = join(import.meta.dirname, 'apps/persist-loop.ts');

describe('unreported counts shared by processes on one dir', () => {
  it('concurrent saves from several processes lose no update (file lock)', async () => {
    const dir = tmpDir();
    const startAt = String(Date.now() + 1500);
    const runs = await Promise.all(
      Array.from({ length: 3 }, () => runNode(app, { env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'shared', ROUNDS: '150', START_AT: startAt } })),
    );
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(JSON.parse(readFileSync(join(dir, 'usage-counters.json'), 'utf8'))).toEqual({ commands: { Shared: 450 }, metrics: {} });
    // No lock or temp file left behind. (No usage_report: everything was saved before the end, so nothing was
    // counted since; the next report of any process on this dir carries the 450.)
    expect(readdirSync(dir)).toEqual(['usage-counters.json']);
  });
});
