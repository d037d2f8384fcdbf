import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '../../core/errors.js';
import { withRetry } from './retry.js';

const policy = { retryDeadlineMs: 5000, backoffMs: 1, maxBackoffMs: 5, timeoutMs: 1000 };

describe('withRetry (the uploader rules for ClickHouse requests)', () => {
  it('retries retryable failures until one succeeds', async () => {
    let n = 0;
    const out = await withRetry(policy, 'test', async (a) => {
      n++;
      expect(a.number).toBe(n);
      if (n < 4) throw new ClickHouseError('503', 503, true);
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(n).toBe(4);
  });

  it('does not retry what cannot succeed: non-retryable ClickHouse errors and other errors', async () => {
    let n = 0;
    await expect(withRetry(policy, 'test', async () => { n++; throw new ClickHouseError('bad SQL', 400, false, 62); })).rejects.toMatchObject({ httpStatus: 400, serverCode: 62 });
    expect(n).toBe(1);
    await expect(withRetry(policy, 'test', async () => { n++; throw new TypeError('bug'); })).rejects.toBeInstanceOf(TypeError);
    expect(n).toBe(2);
  });

  it('gives up at the deadline, naming attempts, the setting and the last error', async () => {
    let n = 0;
    const err = await withRetry({ ...policy, retryDeadlineMs: 30, backoffMs: 5 }, 'inserting 3 row(s)', async () => {
      n++;
      throw new ClickHouseError(`down ${n}`, 0, true);
    }).then(() => undefined, (e: unknown) => e as ClickHouseError);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect(err!.message).toMatch(new RegExp(`^inserting 3 row\\(s\\) failed after ${n} attempt\\(s\\) in \\d+ ms \\(TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS=30\\): down ${n}$`));
    expect(err!.retryable).toBe(true);
  });

  it('makes exactly one attempt with a zero deadline, and stops waiting when aborted', async () => {
    let n = 0;
    await expect(withRetry({ ...policy, retryDeadlineMs: 0 }, 't', async () => { n++; throw new ClickHouseError('x', 500, true); })).rejects.toThrow(/after 1 attempt/);
    expect(n).toBe(1);
    const abort = new AbortController();
    let m = 0;
    const p = withRetry({ ...policy, backoffMs: 60_000, maxBackoffMs: 60_000, retryDeadlineMs: 600_000 }, 't', async () => {
      m++;
      if (m === 1) setImmediate(() => abort.abort());
      throw new ClickHouseError('x', 500, true);
    }, abort.signal);
    await expect(p).rejects.toThrow('x');
    expect(m).toBe(2);
  });
});
