import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const QUARANTINE_DIR = 'quarantine';

/** Why a batch was set aside: what the endpoint said (or the local check that failed), kept beside the lines. */
export interface QuarantineReason {
  /** `server` (a 4xx answer or an event error in a 2xx answer) or `local` (invalid line, line over the size limit). */
  source: 'server' | 'local';
  /** HTTP status, when the endpoint answered. */
  status?: number;
  /** The endpoint's answer (first 64 KiB) or the local reason. */
  error: string;
  /** Store file and byte range the lines came from. */
  file: string;
  start: number;
  end: number;
}

let seq = 0;

function stamp(now: Date): string {
  // 2025-01-15T12:00:00.123Z → 20250115T120000123Z: sortable and a safe file name
  return now.toISOString().replace(/[-:.]/g, '');
}

/**
 * Move lines aside: `{dir}/quarantine/{scenario}-{time}.jsonl` with the lines as they were stored, and
 * `{scenario}-{time}.error.json` beside it with the reason. Written before the cursor moves past the lines, so a
 * crash in between quarantines them again rather than losing them. Returns the path of the lines file.
 */
export async function quarantineLines(dir: string, scenario: string, lines: readonly Buffer[], reason: QuarantineReason): Promise<string> {
  const qdir = join(dir, QUARANTINE_DIR);
  await mkdir(qdir, { recursive: true, mode: 0o700 });
  const base = `${scenario}-${stamp(new Date())}-${process.pid}-${(seq++).toString(36)}`;
  const file = join(qdir, `${base}.jsonl`);
  const parts: Buffer[] = [];
  for (const l of lines) parts.push(l, Buffer.from('\n'));
  await writeFile(file, Buffer.concat(parts), { mode: 0o600, flag: 'wx' });
  await writeFile(join(qdir, `${base}.error.json`), JSON.stringify({ ...reason, lines: lines.length, quarantined_at: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * Keep the quarantine within `maxBytes`: remove its oldest entries (lines + error file) first. Returns how many
 * entries were removed. Quarantined events were refused by the endpoint; this bounds the disk they can take.
 */
export async function trimQuarantine(dir: string, maxBytes: number): Promise<number> {
  const qdir = join(dir, QUARANTINE_DIR);
  let names: string[];
  try {
    names = await readdir(qdir);
  } catch {
    return 0;
  }
  const entries: { base: string; bytes: number; mtime: number }[] = [];
  let total = 0;
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const base = name.slice(0, -'.jsonl'.length);
    let bytes = 0;
    let mtime = 0;
    for (const f of [`${base}.jsonl`, `${base}.error.json`]) {
      try {
        const st = await stat(join(qdir, f));
        bytes += st.size;
        mtime = Math.max(mtime, st.mtimeMs);
      } catch {
        // missing error file: count what is there
      }
    }
    entries.push({ base, bytes, mtime });
    total += bytes;
  }
  if (total <= maxBytes) return 0;
  entries.sort((a, b) => a.mtime - b.mtime || a.base.localeCompare(b.base));
  let removed = 0;
  for (const e of entries) {
    if (total <= maxBytes) break;
    await unlink(join(qdir, `${e.base}.jsonl`)).catch(() => undefined);
    await unlink(join(qdir, `${e.base}.error.json`)).catch(() => undefined);
    total -= e.bytes;
    removed++;
  }
  return removed;
}
