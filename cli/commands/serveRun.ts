import { startCollector, type StartCollectorOptions } from '../../collector/index.js';
import { printable } from '../../core/sanitize.js';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { TelemetryError } from '../../core/errors.js';
import type { ServeOptions } from './serve.js';
import { installDiagFromEnv } from '../../core/diagFromEnv.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** Start the collector, print where it is, wait for SIGINT/SIGTERM (ctx.signal), close gracefully. */
export async function runServe(ctx: CliContext, o: ServeOptions): Promise<void> {
  if (o.dir !== undefined && o.dir.trim() === '') throw new UsageError('--dir must not be empty');
  // Flags are code options to startCollector, so they beat the environment (code option > env > default).
  const options: StartCollectorOptions = {
    env: ctx.env,
    ...(o.host !== undefined && { host: o.host }),
    ...(o.port !== undefined && { port: o.port }),
    ...(o.dir !== undefined && { dir: o.dir }),
    ...(o.token !== undefined && { authToken: o.token }),
    ...(o.scenario !== undefined && { scenario: o.scenario }),
    ...(o.environment !== undefined && { environment: o.environment }),
  };
  // The collector's own problems (store failures, dropped data) go to the console at OTEL_LOG_LEVEL (default warn).
  installDiagFromEnv(ctx.env);
  let collector;
  try {
    collector = await startCollector(options);
  } catch (err) {
    // ConfigError (bad flag or variable, open host without a token) keeps its class: exit code 2.
    if (err instanceof TelemetryError && err.code === ErrorCode.CONFIG) throw err;
    throw new CliError(`the collector could not start: ${(err as Error).message}`, { cause: err });
  }
  const p = ctx.paint;
  ctx.stdout.write(
    `otel-product-telemetry collector listening on ${p('bold', collector.url)}\n` +
      `data directory: ${printable(collector.dir)}\n` +
      `upload: POST ${collector.url}/api/v1/telemetry/upload   summaries: GET ${collector.url}/api/v1/telemetry\n` +
      (collector.config.authToken !== undefined ? 'auth: bearer token required (except /healthz)\n' : '') +
      'stop with Ctrl-C (SIGINT) or SIGTERM\n',
  );
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  ctx.stdout.write('stopping: finishing in-flight requests and flushing\n');
  await collector.close();
  ctx.stdout.write('collector stopped\n');
}
