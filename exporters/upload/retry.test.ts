import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../core/backoff.js';
import { classifyStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry.js';

describe('classifyStatus', () => {
  it('maps answers to what happens to the batch', () => {
    expect([200, 201, 202, 204].map(classifyStatus)).toEqual(['ack', 'ack', 'ack', 'ack']);
    expect([408, 429, 500, 502, 503, 504].map(classifyStatus)).toEqual(Array(6).fill('retry'));
    expect(classifyStatus(413)).toBe('split');
    expect([400, 409, 422].map(classifyStatus)).toEqual(['quarantine', 'quarantine', 'quarantine']);
    expect([401, 403, 404, 415, 301].map(classifyStatus)).toEqual(Array(5).fill('pause'));
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-15T12:00:00Z');
  it('reads seconds and HTTP dates, caps at an hour, ignores junk', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per failure with jitter between half and the full delay, capped', () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffDelay(50, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(50, 1000, 60_000, () => 0)).toBe(30_000);
  });
});
