import { spawn } from 'node:child_process';
import { afterAll } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Node arguments that run the collector as its own process: the CLI's `serve` from source, the one way to start it
 * (`node --import tsx cli/main.ts serve`). Configured by TELEMETRY_* variables (or serve's flags appended); give the
 * child NO_COLOR=1 so the address it prints is plain text whatever the terminal vitest runs in.
 */
export const SERVE_ARGS: readonly string[] = ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'serve'];

const made: string[] = [];
/** A fresh temp dir, removed when the test file is done (and, as a fallback, at process exit). */
export function tmpDir(prefix = 'opt-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
function removeMade(): void {
  for (const d of made.splice(0)) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}
// vitest ends its worker processes without running 'exit' handlers, so every run used to leave its temp dirs behind
// (one suite run: ~400 MB from the large-file CLI test alone). Registered while this module loads, i.e. while a test
// file is collected, this hook runs once that file is done; a module loaded outside collection keeps the exit handler.
try {
  afterAll(removeMade);
} catch {
  // not inside a test file's collection
}
process.on('exit', removeMade);

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a TypeScript or JavaScript file in a real child process (TypeScript through tsx, so tests use the sources).
 * `env` is merged over a clean copy of process.env without TELEMETRY_* / DO_NOT_TRACK / OTEL_* from the outside.
 */
/**
 * A copy of process.env without TELEMETRY_* / OTEL_* / DO_NOT_TRACK / VITEST / NODE_OPTIONS from the outside, with
 * `extra` on top: what a child process under test sees.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|VITEST|NODE_OPTIONS$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra } as NodeJS.ProcessEnv;
}

export function runNode(
  file: string,
  options: { env?: Record<string, string | undefined>; args?: string[]; nodeArgs?: string[]; timeoutMs?: number; onSpawn?: (pid: number) => void; input?: string } = {},
): Promise<RunResult> {
  const env = cleanEnv(options.env);
  const nodeArgs = [...(file.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(options.nodeArgs ?? [])];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, file, ...(options.args ?? [])], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (options.onSpawn && child.pid) options.onSpawn(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${file} timed out after ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Parse a JSONL file into objects (throws on an invalid line, which a test should notice). */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
