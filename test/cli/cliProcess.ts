import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, runNode, type RunResult } from '../helpers.js';

/** The CLI from source (the lead checks the built bin); every test passes --dir or TELEMETRY_DIR, never $HOME. */
export const CLI = join(ROOT, 'cli', 'main.ts');

/** Colour decisions must come from each test, not from the terminal vitest runs in. */
const NEUTRAL = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'dumb' };

export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<RunResult> {
  return runNode(CLI, { args, env: { ...NEUTRAL, ...env }, timeoutMs });
}

/** A long-running CLI child (serve, logs --follow) whose output can be awaited while it runs. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string | undefined> = {}) {
    const merged: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|VITEST|NODE_OPTIONS$)/.test(k)) merged[k] = v;
    Object.assign(merged, NEUTRAL, env);
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: merged as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** Resolve once stdout (or stderr) matches, polling every 25 ms; reject after `timeoutMs` with what was seen. */
  async waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`CLI exited (${this.child.exitCode ?? this.child.signalCode}) before ${pattern} appeared on ${stream}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on ${stream}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Send a signal and wait for the exit (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  wait(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }
}

const running = new Set<CliProcess>();

/** For afterEach: no child outlives its test. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
}

/** A stored line as the pipeline writes it. */
export function line(fields: { ts: string; event: string; scenario?: string; deployment_id?: string; installation_id?: string; level?: string; details?: Record<string, unknown>; id?: string }): string {
  const { ts, event, scenario = 'app', deployment_id, installation_id, level, details, id } = fields;
  return JSON.stringify({ ts, scenario, ...(deployment_id && { deployment_id }), ...(installation_id && { installation_id }), event, ...(level && { level }), ...(details && { details }), ...(id && { id }) });
}

export function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
