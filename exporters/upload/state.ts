import { readFileSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const UPLOAD_STATE_FILE = 'upload-state.json';

/**
 * What the uploader of a store dir last knew, persisted as `{dir}/upload-state.json` for the CLI's `status` command
 * (which runs in another process). Counters are cumulative over restarts of the uploader.
 */
export interface UploadState {
  version: 1;
  /** Endpoint, without user info or query. */
  url: string;
  pid: number;
  updated_at: string;
  /** Time of the last acknowledged batch. */
  last_success_at: string | null;
  last_attempt_at: string | null;
  /** The last failure: what was tried and what the endpoint said (null after a success). */
  last_error: string | null;
  /** Bytes in the store not yet acknowledged, and in how many files. */
  pending_bytes: number;
  pending_files: number;
  /** Bytes of the store and its cap (`TELEMETRY_STORE_MAX_BYTES`). */
  store_bytes: number;
  store_max_bytes: number;
  /** Events the endpoint acknowledged (events it reported as errors are counted as quarantined instead). */
  sent_events: number;
  sent_batches: number;
  /** Request body bytes put on the wire (after gzip), every attempt counted. */
  sent_bytes: number;
  /** Events set aside in `{dir}/quarantine/` (refused by the endpoint, or invalid lines). */
  quarantined_events: number;
  /** Of those, lines that were not valid JSON objects or exceeded the request limit (never sent). */
  invalid_lines: number;
  /** Newest events not stored because the store was full of unsent data. */
  dropped_events: number;
  /** Quarantine entries removed to keep the quarantine within a quarter of the store cap. */
  quarantine_evicted: number;
  consecutive_failures: number;
  /** Earliest time of the next attempt while backing off, or null. */
  next_attempt_at: string | null;
  gzip: boolean;
}

/** Read `{dir}/upload-state.json`; undefined when there is none (no uploader ever ran) or it is unreadable. */
export function readUploadState(dir: string): UploadState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, UPLOAD_STATE_FILE), 'utf8')) as Partial<UploadState>;
    return s && s.version === 1 ? (s as UploadState) : undefined;
  } catch {
    return undefined;
  }
}

/** Persist the state atomically (temp + rename, 0600). */
export async function writeUploadState(dir: string, state: UploadState): Promise<void> {
  const file = join(dir, UPLOAD_STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    await unlink(tmp).catch(() => undefined);
  }
}
