import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/**
 * The dashboard is its own TypeScript program (DOM types, no Node types: dashboard/tsconfig.json), so the package's
 * `tsc -p tsconfig.json` does not see it; this checks it, strict, with the same compiler.
 */
describe('dashboard sources', () => {
  it('type-check strict against the DOM, with no Node types', () => {
    const configPath = join(ROOT, 'dashboard', 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } })!;
    expect(parsed.options.strict).toBe(true);
    expect(parsed.options.types).toEqual([]);
    expect(parsed.fileNames.some((f) => f.endsWith('dashboard/main.ts'))).toBe(true);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.slice(ROOT.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
    // A Node global is not there: the program really is browser-only.
    expect(program.getSourceFiles().some((f) => f.fileName.includes('@types/node'))).toBe(false);
  });
});
