import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorCode } from '../core/errorCodes.js';
import { ROOT } from './helpers.js';

// One catalogue of error codes (core/errorCodes.ts): source code names them, never spells them, and the README lists
// every one, so a new code cannot appear without being documented.
const SOURCE_DIRS = ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'collector', 'query', 'cli'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const codes = Object.values(ErrorCode);

describe('error codes', () => {
  it('each catalogue key is its code without the prefix', () => {
    for (const [key, code] of Object.entries(ErrorCode)) expect(code).toBe(`OPT_ERR_${key}`);
  });

  it('no source file outside the catalogue spells a code as a string', () => {
    const spelled: string[] = [];
    for (const file of SOURCE_DIRS.flatMap(sourceFiles)) {
      if (file === join('core', 'errorCodes.ts')) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/["']OPT_ERR_[A-Z_]+["']/g)) spelled.push(`${file}: ${m[0]}`);
    }
    expect(spelled).toEqual([]);
  });

  it('every code is used by some source file', () => {
    const text = SOURCE_DIRS.flatMap(sourceFiles)
      .filter((f) => f !== join('core', 'errorCodes.ts'))
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    const unused = Object.keys(ErrorCode).filter((key) => !text.includes(`ErrorCode.${key}`) && !text.includes(`'OPT_ERR_${key}'`));
    expect(unused).toEqual([]);
  });

  it('the README lists every code, and no code that does not exist', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(codes.filter((c) => !new RegExp(`\\b${c}\\b`).test(readme))).toEqual([]);
    const named = new Set([...readme.matchAll(/\bOPT_ERR_[A-Z_]*[A-Z]\b/g)].map((m) => m[0]));
    expect([...named].filter((c) => !(codes as readonly string[]).includes(c))).toEqual([]);
  });
});
