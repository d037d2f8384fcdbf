import { readStateFileSync, writeStateFile } from '../../core/stateFile.js';
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
    const s = JSON.parse(readStateFileSync(join(dir, UPLOAD_STATE_FILE), 1024 * 1024)) as Partial<UploadState>;
    return s && s.version === 1 ? (s as UploadState) : undefined;
  } catch {
    return undefined;
  }
}

/** Persist the state atomically (core/stateFile: random exclusive temp file, fsync, rename, 0600). */
export async function writeUploadState(dir: string, state: UploadState): Promise<void> {
  try {
    await writeStateFile(dir, UPLOAD_STATE_FILE, JSON.stringify(state, null, 2) + '\n');
  } catch {
    // best effort: the CLI's status shows the previous state
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** The uploader's counters and last outcomes; cumulative ones continue from the state file of an earlier run. */
export class UploadCounters {
  sentEvents = 0;
  sentBatches = 0;
  sentBytes = 0;
  evicted = 0;
  failures = 0;
  lastSuccessAt: string | null = null;
  lastAttemptAt: string | null = null;
  lastError: string | null = null;
  backoffUntil = 0;
  retryAfterUntil = 0;
  pendingBytes = 0;
  pendingFiles = 0;
  storeBytes = 0;

  /** Continue the cumulative counters of the previous run; returns its state (for what other parts count). */
  continueFrom(dir: string): UploadState | undefined {
    const s = readUploadState(dir);
    if (!s) return undefined;
    this.sentEvents = num(s.sent_events);
    this.sentBatches = num(s.sent_batches);
    this.sentBytes = num(s.sent_bytes);
    this.evicted = num(s.quarantine_evicted);
    this.lastSuccessAt = typeof s.last_success_at === 'string' ? s.last_success_at : null;
    return s;
  }

  toState(extra: { url: string; storeMaxBytes: number; quarantined: number; invalid: number; dropped: number; gzip: boolean }): UploadState {
    const next = Math.max(this.backoffUntil, this.retryAfterUntil);
    return {
      version: 1,
      url: extra.url,
      pid: process.pid,
      updated_at: new Date().toISOString(),
      last_success_at: this.lastSuccessAt,
      last_attempt_at: this.lastAttemptAt,
      last_error: this.lastError,
      pending_bytes: this.pendingBytes,
      pending_files: this.pendingFiles,
      store_bytes: this.storeBytes,
      store_max_bytes: extra.storeMaxBytes,
      sent_events: this.sentEvents,
      sent_batches: this.sentBatches,
      sent_bytes: this.sentBytes,
      quarantined_events: extra.quarantined,
      invalid_lines: extra.invalid,
      dropped_events: extra.dropped,
      quarantine_evicted: this.evicted,
      consecutive_failures: this.failures,
      next_attempt_at: next > Date.now() ? new Date(next).toISOString() : null,
      gzip: extra.gzip,
    };
  }
}

/** Continue a cumulative count from a previous state. */
export function continued(v: unknown): number {
  return num(v);
}
