/**
 * Per-client request rate as a token bucket: `rate` tokens a second up to `burst`; a request takes one. Clients are
 * kept in insertion order and the oldest is forgotten beyond `maxClients`, so memory stays bounded under a flood of
 * addresses (a forgotten client simply starts with a full bucket).
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxClients: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(ratePerSecond: number, burst: number, maxClients = 10_000) {
    this.rate = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.maxClients = maxClients;
  }

  /** Take a token for `client`: 0 when allowed, else the seconds to wait (for Retry-After, at least 1). */
  take(client: string, now: number = Date.now()): number {
    let b = this.buckets.get(client);
    if (b === undefined) {
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
      this.buckets.set(client, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }
}
