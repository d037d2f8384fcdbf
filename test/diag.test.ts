import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { diag as otelDiag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diag, MESSAGE_PREFIX } from '../core/diag.js';
import { ROOT } from './helpers.js';

// One place for diagnostics and their prefix (core/diag.ts): other modules pass the message alone.
const SOURCE_DIRS = ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'collector', 'query', 'cli'];
// core/diagFromEnv.ts installs the console logger (diag.setLogger), the one other use of the API's diag.
const MAY_USE_OTEL_DIAG = [join('core', 'diag.ts'), join('core', 'diagFromEnv.ts')];

function sources(): string[] {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      .map((e) => relative(ROOT, join(e.parentPath, e.name))),
  ).concat(['index.ts', 'register.ts', 'collector.ts']);
}

describe('diagnostics', () => {
  it('no module but core/diag.ts spells the prefix or writes to the API diag directly', () => {
    const found: string[] = [];
    for (const file of sources()) {
      if (file === join('core', 'diag.ts')) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (text.includes(MESSAGE_PREFIX)) found.push(`${file}: spells the prefix`);
      if (!MAY_USE_OTEL_DIAG.includes(file) && /import \{[^}]*\bdiag\b[^}]*\} from '@opentelemetry\/api'/.test(text)) found.push(`${file}: imports diag from @opentelemetry/api`);
    }
    expect(found).toEqual([]);
  });

  it('each level reaches the host logger once, with the prefix', () => {
    const seen: string[] = [];
    const logger: DiagLogger = {
      error: (m) => seen.push(`error ${m}`),
      warn: (m) => seen.push(`warn ${m}`),
      info: (m) => seen.push(`info ${m}`),
      debug: (m) => seen.push(`debug ${m}`),
      verbose: (m) => seen.push(`verbose ${m}`),
    };
    otelDiag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
    try {
      diag.error('e');
      diag.warn('w');
      diag.info('i');
      diag.debug('d');
      diag.verbose('v');
    } finally {
      otelDiag.disable();
    }
    expect(seen.filter((m) => !m.includes('@opentelemetry/api'))).toEqual(['error otel-product-telemetry: e', 'warn otel-product-telemetry: w', 'info otel-product-telemetry: i', 'debug otel-product-telemetry: d', 'verbose otel-product-telemetry: v']);
  });
});
