import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../helpers.js';

/** A long-running child process whose output can be awaited while it runs (runNode only reports at the end). */
export interface RunningProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves when stdout matches, rejects after timeoutMs or when the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Start a .ts file through tsx (or, given an array, node with those arguments, e.g. SERVE_ARGS) with a clean
 * environment (no TELEMETRY_/OTEL_ vars from outside) plus `env`.
 */
export function startProcess(file: string | readonly string[], env: Record<string, string> = {}): RunningProcess {
  const clean: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|VITEST|NODE_OPTIONS$)/.test(k)) continue;
    clean[k] = v;
  }
  const child = spawn(process.execPath, typeof file === 'string' ? ['--import', 'tsx', file] : [...file], { cwd: ROOT, env: { ...clean, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let ended = false;
  const rp: RunningProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    })),
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = rp.stdout.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
            return true;
          }
          return false;
        };
        const onData = (): void => void check();
        const onClose = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`process ended before ${pattern}\nstdout: ${rp.stdout}\nstderr: ${rp.stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}\nstdout: ${rp.stdout}\nstderr: ${rp.stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.off('close', onClose);
        };
        if (check()) return;
        if (ended) return onClose();
        child.stdout?.on('data', onData);
        child.on('close', onClose);
      });
    },
    kill(signal = 'SIGKILL') {
      if (!ended) child.kill(signal);
    },
  };
  child.stdout?.on('data', (d: Buffer) => (rp.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (rp.stderr += d.toString()));
  return rp;
}
