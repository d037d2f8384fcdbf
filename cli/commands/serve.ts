import { Command, Option } from '../commander.js';
import type { CliContext } from '../context.js';
import { port } from '../options.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  dir?: string;
  token?: string;
  scenario?: string;
  environment?: string;
}

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('Start the collector server (upload, summaries, appcd and OTLP/HTTP logs routes); flags override the TELEMETRY_* variables')
    .option('--host <host>', 'interface to listen on (TELEMETRY_HOST, default 127.0.0.1; others need a token)')
    .addOption(new Option('-p, --port <port>', 'port, 0 for any free one (TELEMETRY_PORT, default 4318)').argParser(port))
    .option('--dir <dir>', 'data directory (TELEMETRY_DIR, default: the platform data dir + collector, apart from the apps\' dir; one collector per dir)')
    .option('--token <token>', 'require Authorization: Bearer <token> on every route but /healthz (TELEMETRY_AUTH_TOKEN)')
    .option('--scenario <name>', 'scenario of events that name none (TELEMETRY_SCENARIO, default "default")')
    .option('--environment <name>', 'crash events are recorded only in production (TELEMETRY_ENVIRONMENT, default production)')
    .addHelpText('after', `
Prints its address and data directory, and on SIGTERM or SIGINT stops accepting connections, lets in-flight requests
finish, flushes and exits 0. Exits 1 with the cause when it cannot start: the store cannot be opened (ClickHouse down,
a data dir that cannot be created or written), another collector holds the data dir (collector.lock), or the port is
taken. All other collector settings come from the environment (see the README), e.g. TELEMETRY_RETENTION_DAYS.

Examples:
  $ otel-product-telemetry serve
  $ otel-product-telemetry serve --port 8080 --dir ./telemetry
  $ TELEMETRY_AUTH_TOKEN=s3cret-token otel-product-telemetry serve --host 0.0.0.0`)
    .action(async (o: ServeOptions) => {
      const { runServe } = await import('./serveRun.js');
      await runServe(ctx, o);
    });
}
