import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readSlot, sharedSlot, writeSlot } from '../core/globalSlots.js';
import { ROOT } from './helpers.js';

// One module owns every process-global slot (core/globalSlots.ts); the key strings are the ones earlier releases
// used, so copies of different versions in one process still meet.
describe('process-global slots', () => {
  it('no source file but core/globalSlots.ts calls Symbol.for', () => {
    const files = ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'collector', 'query', 'cli']
      .flatMap((dir) => readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')).map((e) => relative(ROOT, join(e.parentPath, e.name))))
      .concat(['index.ts', 'register.ts', 'collector.ts']);
    const calling = files.filter((f) => f !== join('core', 'globalSlots.ts') && readFileSync(join(ROOT, f), 'utf8').includes('Symbol.for('));
    expect(calling).toEqual([]);
  });

  it('slots live on globalThis under the keys of earlier releases', () => {
    const g = globalThis as unknown as Record<symbol, unknown>;
    const runtime = { marker: 1 };
    const before = g[Symbol.for('otel-product-telemetry.runtime')];
    try {
      writeSlot('runtime', runtime);
      expect(g[Symbol.for('otel-product-telemetry.runtime')]).toBe(runtime);
      expect(readSlot('runtime')).toBe(runtime);
    } finally {
      writeSlot('runtime', before);
    }
    expect(sharedSlot('exitHooks', () => 'new')).toBe(g[Symbol.for('otel-product-telemetry.exitHooks')]);
    const seen = sharedSlot('reported', () => new Set<string>());
    expect(sharedSlot('reported', () => new Set<string>())).toBe(seen);
    expect(g[Symbol.for('otel-product-telemetry.reported')]).toBe(seen);
  });
});
