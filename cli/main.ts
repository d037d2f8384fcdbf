#!/usr/bin/env node
/**
 * `otel-product-telemetry` (alias `opt-telemetry`). The only place that owns the process: it maps SIGINT/SIGTERM to
 * a clean stop of long-running commands, ends quietly when stdout is closed (`| head`), and sets the exit code.
 */
import { runCli } from './run.js';

// Time from process start until the CLI's modules are loaded (reported with OPT_CLI_REPORT_RSS, for bench/logs.mjs).
// process.uptime, not performance.now: the `performance` global loads perf_hooks on first use.
const readyMs = process.uptime() * 1000;

const stop = new AbortController();
const onSignal = (): void => {
  if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: do not wait any longer
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// No top-level await: the built CLI is CommonJS (it starts faster than ES modules; see tsup.config.ts).
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: stop.signal });
  if (process.env.OPT_CLI_REPORT_RSS) process.stderr.write(`max-rss-kb ${process.resourceUsage().maxRSS}\nready-ms ${readyMs.toFixed(1)}\ndone-ms ${(process.uptime() * 1000).toFixed(1)}\n`);
  // Exit now: lingering keep-alive sockets or timers of a finished command must not hold the shell.
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

void main();
