import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIsoTimestamp } from '../core/time.js';
import { millisFromIso } from './isoTime.js';

describe('millisFromIso', () => {
  it('answers exactly as parseIsoTimestamp, fast path or not', () => {
    const samples = [
      '2025-01-15T12:00:00Z',
      '2025-01-15T12:00:00.123Z',
      '2025-01-15T23:59:59.999Z',
      '2025-02-31T00:00:00Z',
      '2025-01-15T24:00:00Z',
      '2025-01-15T12:60:00Z',
      '2025-01-15T12:00:00.12Z',
      '2025-01-15T12:00:00+02:00',
      '2025-01-15',
      '2025-1-15T12:00:00Z',
      'yesterday',
      '2025-01-15T12:00:0aZ',
      '2025-01-15x12:00:00Z',
      '0000-01-01T00:00:00Z',
    ];
    for (const s of samples) expect([s, millisFromIso(s)]).toEqual([s, parseIsoTimestamp(s)]);
  });

  it('round-trips any ISO time Date produces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(millisFromIso(iso)).toBe(ms);
        expect(millisFromIso(iso.replace(/\.\d{3}Z$/, 'Z'))).toBe(ms - (ms % 1000));
      }),
      { numRuns: 2000 },
    );
  });
});
