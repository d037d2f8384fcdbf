/**
 * What an HTTP answer means for the batch that was sent:
 * - `ack`: 2xx, the endpoint has the events (it de-duplicates by id, so a resend after a lost answer is harmless) —
 *   provided the answer is the collector's upload answer (answer.ts); a 2xx that is not is treated as `retry`;
 * - `retry`: the batch was fine but could not be taken now (network error, timeout, 408, 429, 5xx): send it again
 *   later, after a backoff or the server's `Retry-After`;
 * - `split`: 413, the batch is too large for the endpoint: send each half;
 * - `quarantine`: another 4xx about the content (400, 422...): the endpoint will never take it; set it aside so one
 *   bad event cannot block the stream;
 * - `pause`: a 4xx that says the endpoint or our credentials are wrong (401, 403, 404, 405, 407, 410, 411, 415, 421,
 *   426), not the events: quarantining would move every event aside because of a typo in the URL or token, so the
 *   uploader keeps the events and retries at the longest backoff, logging the error each time.
 */
export type Verdict = 'ack' | 'retry' | 'split' | 'quarantine' | 'pause';

const PAUSE = new Set([401, 403, 404, 405, 407, 410, 411, 415, 421, 426]);

export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'ack';
  if (status === 413) return 'split';
  if (status === 408 || status === 429 || status >= 500 || status < 200) return 'retry';
  if (status >= 300 && status < 400) return 'pause'; // a redirect is not followed: a POST body must not wander off
  if (PAUSE.has(status)) return 'pause';
  return 'quarantine';
}

/** The longest `Retry-After` honoured; a larger one is capped (and said in the diag log). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
