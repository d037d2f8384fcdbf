import { join } from 'node:path';
import { dirBytesSync } from '../core/storeFiles.js';
import { loadUploadConfig } from '../exporters/upload/config.js';
import { readUploadState, UPLOAD_STATE_FILE } from '../exporters/upload/state.js';
import { QUARANTINE_DIR } from '../exporters/upload/quarantine.js';

/** What `status` shows about uploading. Numbers from the uploader's state file are as of `state_updated_at`. */
export interface UploadReport {
  /** Configured endpoint (TELEMETRY_UPLOAD_URL, else the bundle manifest's upload_to), without credentials or query. */
  url: string | null;
  state_file: string;
  state_updated_at: string | null;
  last_success: string | null;
  last_attempt: string | null;
  last_error: string | null;
  next_attempt: string | null;
  consecutive_failures: number | null;
  /** Stored bytes not yet acknowledged by the endpoint (the upload queue), and in how many files. */
  pending_bytes: number | null;
  pending_files: number | null;
  sent_events: number | null;
  dropped_events: number | null;
  /** Bytes in `{dir}/upload-spool/` (stand-alone UploadExporter spools). */
  spool_bytes: number;
  /** Bytes and events set aside in `{dir}/quarantine/`. */
  quarantine_bytes: number;
  quarantined_events: number | null;
}

/** Total size of the regular files under `dir` (bounded depth: spools are two levels deep; symlinks are skipped). */
function treeBytes(dir: string, depth = 3): number {
  return dirBytesSync(dir, { depth });
}

function publicUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Read the uploader's state from files in the data dir (the CLI never talks to a running app): the state file the
 * uploader keeps (`upload-state.json`), the spool and quarantine sizes. Throws ConfigError for invalid upload settings.
 */
export function readUploadReport(dir: string, env: NodeJS.ProcessEnv): UploadReport {
  const config = loadUploadConfig({ dir }, env);
  const s = readUploadState(dir);
  return {
    url: publicUrl(config.url) ?? (s?.url ?? null),
    state_file: join(dir, UPLOAD_STATE_FILE),
    state_updated_at: s?.updated_at ?? null,
    last_success: s?.last_success_at ?? null,
    last_attempt: s?.last_attempt_at ?? null,
    last_error: s?.last_error ?? null,
    next_attempt: s?.next_attempt_at ?? null,
    consecutive_failures: s?.consecutive_failures ?? null,
    pending_bytes: s?.pending_bytes ?? null,
    pending_files: s?.pending_files ?? null,
    sent_events: s?.sent_events ?? null,
    dropped_events: s?.dropped_events ?? null,
    spool_bytes: treeBytes(config.spoolDir ?? join(dir, 'upload-spool')),
    quarantine_bytes: treeBytes(join(dir, QUARANTINE_DIR), 0),
    quarantined_events: s?.quarantined_events ?? null,
  };
}
