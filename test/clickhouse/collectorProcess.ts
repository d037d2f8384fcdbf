/**
 * A collector as its own process — the CLI's `serve` from source, configured by environment variables only — for the
 * cluster test and bench/cluster.mjs (several collectors on one ClickHouse).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cleanEnv, ROOT, SERVE_ARGS } from '../helpers.js';

export interface CollectorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Base URL it listens on (`http://127.0.0.1:port`). */
  readonly url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has gone. */
  readonly exited: Promise<number | null>;
}

/** Start `serve` with `env` over a clean environment; resolves once it prints its address (30 s at most). */
export async function startCollectorProcess(env: Record<string, string>): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: cleanEnv({ NO_COLOR: '1', TELEMETRY_HOST: '127.0.0.1', TELEMETRY_PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The collector must not outlive the test runner (or the benchmark) if it is interrupted.
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { child, pid: child.pid!, url: m[1]!, output: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop it: SIGTERM (graceful), SIGKILL after 10 s. */
export async function stopCollectorProcess(c: CollectorProcess): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGTERM');
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(timer);
}

/** User + system CPU seconds a live process has used so far (Linux `/proc/{pid}/stat`; clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name (state is 3, index 0 here).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
