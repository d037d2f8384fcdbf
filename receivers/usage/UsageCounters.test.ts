import { describe, expect, it } from 'vitest';
import { UsageCounters } from './UsageCounters.js';

describe('UsageCounters', () => {
  it('counts by name, default 1, with amounts', () => {
    const c = new UsageCounters();
    c.add('CreateOrder');
    c.add('CreateOrder');
    c.add('Export', 20);
    expect(Object.fromEntries(c.snapshot())).toEqual({ CreateOrder: 2, Export: 20 });
  });

  it('subtracting a snapshot keeps what was counted after it (nothing lost, nothing twice)', () => {
    const c = new UsageCounters();
    c.add('a', 5);
    const snap = c.snapshot();
    c.add('a', 3); // between snapshot and reset: belongs to the next report
    c.add('b');
    c.subtract(snap);
    expect(Object.fromEntries(c.snapshot())).toEqual({ a: 3, b: 1 });
    c.subtract(c.snapshot());
    expect(c.snapshot().size).toBe(0);
  });

  it('refuses bad names and amounts without throwing, and counts the refusals', () => {
    const c = new UsageCounters();
    c.add('', 1);
    c.add('x'.repeat(129));
    c.add('ok', -1);
    c.add('ok', 1.5);
    c.add('ok', Number.NaN);
    c.add(42 as unknown as string);
    expect(c.refused).toBe(6);
    expect(c.snapshot().size).toBe(0);
  });

  it('is bounded: a full table refuses new names, names at zero are pruned to make room', () => {
    const c = new UsageCounters(2);
    c.add('a');
    c.add('b');
    c.add('c');
    expect([...c.snapshot().keys()]).toEqual(['a', 'b']);
    expect(c.refused).toBe(1);
    c.subtract(c.snapshot());
    c.add('c');
    expect(Object.fromEntries(c.snapshot())).toEqual({ c: 1 });
    expect(c.size).toBeLessThanOrEqual(2);
  });

  it('keeps a name like __proto__ as plain data', () => {
    const c = new UsageCounters();
    c.add('__proto__', 2);
    expect(c.snapshot().get('__proto__')).toBe(2);
  });
});
