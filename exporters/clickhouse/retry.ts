import { ClickHouseError } from '../../core/errors.js';
import { backoffDelay } from '../../core/backoff.js';
import { sleep } from '../../core/sleep.js';

export interface RetryPolicy {
  /** Total time for all attempts; 0 = one attempt. */
  readonly retryDeadlineMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Deadline of one attempt (cut to what is left of the total). */
  readonly timeoutMs: number;
}

export interface Attempt {
  /** 1 for the first. */
  readonly number: number;
  /** Timeout for this attempt's request(s). */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/** No attempt gets less time than this, even at the end of the deadline. */
const MIN_ATTEMPT_MS = 100;

/**
 * Run `attempt` until it succeeds, with the uploader's rules: exponential backoff with equal jitter (core/backoff.ts,
 * shared with the uploader) after network errors, timeouts, 408, 429 and 5xx; no retry after other answers (bad SQL,
 * unknown table, wrong credentials: sending again cannot help). Gives up when the next try would start after `retryDeadlineMs` and
 * throws a ClickHouseError naming the attempts and the last error. `signal` aborts the waits (store closing).
 */
export async function withRetry<T>(policy: RetryPolicy, what: string, attempt: (a: Attempt) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    const left = policy.retryDeadlineMs - (Date.now() - started);
    const timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(policy.timeoutMs, n === 1 ? policy.timeoutMs : left));
    try {
      return await attempt({ number: n, timeoutMs, signal });
    } catch (err) {
      if (!(err instanceof ClickHouseError) || !err.retryable || signal?.aborted) throw err;
      const delay = backoffDelay(n, policy.backoffMs, policy.maxBackoffMs);
      const elapsed = Date.now() - started;
      if (elapsed + delay >= policy.retryDeadlineMs) {
        throw new ClickHouseError(`${what} failed after ${n} attempt(s) in ${elapsed} ms (TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS=${policy.retryDeadlineMs}): ${err.message}`, err.httpStatus, true, err.serverCode, { cause: err });
      }
      // unref'd: a retry wait never holds the process open (the collector's server or the host keeps it alive).
      await sleep(delay, signal, { unref: true });
    }
  }
}
