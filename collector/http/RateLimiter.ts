/**
 * The rate-limit key of a client address: an IPv4 address as is; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a
 * dual-stack listener reports for IPv4 clients) as that IPv4 address; any other IPv6 address by its /64 prefix
 * (`2001:db8:1:2::/64`): one subscriber usually holds a whole /64, so keying on the exact address would hand a
 * single client 2^64 fresh buckets. Anything unparsable is its own key.
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  let a = address.toLowerCase();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const groups = ipv6Groups(a);
  if (groups === undefined) return a;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/;
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted IPv4 part), or undefined. */
function ipv6Groups(a: string): number[] | undefined {
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes('.')) {
        const m = DOTTED.exec(item);
        if (m === null) return undefined;
        const b = m.slice(1).map(Number);
        if (b.some((x) => x > 255)) return undefined;
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else if (HEX_GROUP.test(item)) out.push(parseInt(item, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

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
