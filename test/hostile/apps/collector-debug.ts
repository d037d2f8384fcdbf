/**
 * The collector in a child process with the most verbose diag logger (what OTEL_LOG_LEVEL=debug gives under a
 * NodeSDK) and umask 0, so files the collector creates without an explicit mode would show up as 0666/0777.
 * Settings from the environment; prints `listening on {url}`; SIGTERM closes it and exits 0.
 */
import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { startCollector } from '../../../collector/index.js';

process.umask(0);
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ALL);
const collector = await startCollector();
process.stdout.write(`listening on ${collector.url}\n`);
process.on('SIGTERM', () => {
  void collector.close().then(() => process.exit(0));
});
