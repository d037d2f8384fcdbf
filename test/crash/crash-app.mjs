// A host app that crashes in the way CRASH_MODE says. Run with and without
// `--import otel-product-telemetry/register` to compare: exit status and stderr must be the same.
const mode = process.env.CRASH_MODE;
if (mode === 'throw') {
  setTimeout(() => {
    throw new TypeError('uncaught on purpose');
  }, 5);
} else if (mode === 'reject') {
  Promise.reject(new RangeError('rejected on purpose'));
} else if (mode === 'handler-exit') {
  process.on('uncaughtException', (err) => {
    process.stderr.write(`host handler saw: ${err.message}\n`);
    process.exit(7);
  });
  setTimeout(() => {
    throw new Error('handled then exit 7');
  }, 5);
} else if (mode === 'sigterm') {
  // The host survives an exception with its own handler, keeps running, and is then terminated by a signal.
  process.on('uncaughtException', (err) => process.stderr.write(`host handler saw: ${err.message}\n`));
  setTimeout(() => {
    throw new Error('survived, then SIGTERM');
  }, 5);
  setInterval(() => {}, 1000);
  setTimeout(() => process.kill(process.pid, 'SIGTERM'), 100);
} else if (mode === 'non-error') {
  setTimeout(() => {
    throw { weird: true };
  }, 5);
}
