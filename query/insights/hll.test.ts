import { describe, expect, it } from 'vitest';
import { HyperLogLog, murmur3 } from './hll.js';
import { InstallationSet } from './installations.js';

describe('murmur3 (x86 32-bit, seed 0, UTF-8)', () => {
  it('matches the reference vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('a')).toBe(0x3c2569b2);
    expect(murmur3('hello')).toBe(613153351);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    expect(murmur3('ü')).toBe(murmur3Bytes([0xc3, 0xbc]));
    expect(murmur3('é😀x')).toBe(murmur3Bytes([...Buffer.from('é😀x', 'utf8')]));
  });
});

// An independent byte-wise MurmurHash3 (tail read as little-endian), to check the string path against.
function murmur3Bytes(bytes: number[]): number {
  let h = 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let j = n - 1; j >= i; j--) k = (k << 8) | bytes[j]!;
  if (n > i) {
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('HyperLogLog', () => {
  it('estimates within 3 % from 1,000 to 1,000,000 distinct ids; repeats change nothing', () => {
    for (const n of [1_000, 20_000, 200_000, 1_000_000]) {
      const h = new HyperLogLog();
      for (let i = 0; i < n; i++) h.add(`00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
      const e = h.estimate();
      expect(Math.abs(e - n) / n, `n=${n} estimate=${e}`).toBeLessThan(0.03);
      for (let i = 0; i < n; i += 7) h.add(`00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
      expect(h.estimate()).toBe(e);
    }
  });

  it('merging sketches equals sketching the union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    const u = new HyperLogLog();
    for (let i = 0; i < 30_000; i++) {
      (i % 3 === 0 ? a : b).add(`id${i}`);
      u.add(`id${i}`);
    }
    a.merge(b);
    expect(a.registers).toEqual(u.registers);
  });
});

describe('InstallationSet', () => {
  it('exact to the limit, then estimated; unions of sets give the estimate of the union', () => {
    const s = new InstallationSet(100);
    for (let i = 0; i < 100; i++) s.add(`i${i}`);
    expect(s.count()).toEqual({ count: 100, estimated: false });
    s.add('i0');
    expect(s.count()).toEqual({ count: 100, estimated: false });
    s.add('i100');
    expect(s.count().estimated).toBe(true);
    expect(s.ids()).toBeUndefined();

    const parts = [new InstallationSet(100), new InstallationSet(100), new InstallationSet(100)];
    const whole = new InstallationSet(100);
    for (let i = 0; i < 250; i++) {
      parts[i % 3]!.add(`i${i}`);
      whole.add(`i${i}`);
    }
    const union = new InstallationSet(100);
    for (const p of parts) union.addAll(p);
    expect(union.count()).toEqual(whole.count());
    // A sketch merged into an exact set.
    const mixed = new InstallationSet(100);
    mixed.add('i1');
    mixed.addAll(whole);
    expect(mixed.count()).toEqual(whole.count());
  });
});
