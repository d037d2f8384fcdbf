import { diag } from '../core/diag.js';
import { sharedSlot } from '../core/globalSlots.js';

export interface ExitHookTargets {
  /** Write everything buffered, synchronously (safe inside process.on('exit')). */
  flushSync: () => void;
  /** Full asynchronous shutdown (flush + exporters' own shutdown). */
  shutdown: () => Promise<void>;
  /** Deadline for `shutdown`; the process is never held open longer. */
  timeoutMs: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * One set of process listeners for every pipeline of the process (the register entry and a `productTelemetry()` of
 * the app's own, ESM and CommonJS copies alike): with a set per pipeline, each signal handler would see the other
 * and leave the signal to it, and a SIGTERM would no longer end the process.
 */
interface Registry {
  readonly targets: Set<ExitHookTargets>;
  uninstall?: () => void;
}
const registry = sharedSlot<Registry>('exitHooks', () => ({ targets: new Set() }));

/**
 * Flush on every way a Node process ends, without changing how it ends:
 * - `process.exit()` / normal end: 'exit' → synchronous flush (the JSONL store is written synchronously);
 * - loop drained: 'beforeExit' → asynchronous shutdown, once, within the deadline;
 * - SIGTERM / SIGINT: synchronous flush, then if no other listener handles the signal (so Node's default would have
 *   killed the process), shut down within the deadline and re-raise the signal: same exit status as without us.
 *   When the host has its own handler, the host decides; we only flushed.
 * Returns a function that removes this pipeline (and the listeners with the last one); library code does not own
 * the process.
 */
export function installExitHooks(targets: ExitHookTargets): () => void {
  registry.targets.add(targets);
  registry.uninstall ??= listen();
  return () => {
    registry.targets.delete(targets);
    if (registry.targets.size === 0) {
      registry.uninstall?.();
      registry.uninstall = undefined;
    }
  };
}

function listen(): () => void {
  let shutdownStarted: Promise<void> | undefined;
  const flushSync = (): void => {
    for (const t of registry.targets) {
      try {
        t.flushSync();
      } catch (err) {
        diag.error(`flush at exit failed: ${(err as Error).message}`);
      }
    }
  };
  const shutdownWithin = (keepAlive: boolean): Promise<void> => {
    shutdownStarted ??= Promise.all(
      [...registry.targets].map(
        (t) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              diag.warn(`shutdown did not finish within ${t.timeoutMs} ms (TELEMETRY_SHUTDOWN_TIMEOUT_MS); exiting anyway`);
              resolve();
            }, t.timeoutMs);
            // While re-raising a signal we must stay alive until done; otherwise never hold the process open.
            if (!keepAlive) timer.unref();
            t.shutdown().then(
              () => {
                clearTimeout(timer);
                resolve();
              },
              (err: unknown) => {
                clearTimeout(timer);
                diag.error(`shutdown failed: ${(err as Error).message}`);
                resolve();
              },
            );
          }),
      ),
    ).then(() => undefined);
    return shutdownStarted;
  };

  const onExit = (): void => flushSync();
  const onBeforeExit = (): void => {
    if (!shutdownStarted) void shutdownWithin(false);
  };
  const signalHandlers = new Map<string, () => void>();
  for (const sig of SIGNALS) {
    const handler = (): void => {
      flushSync();
      if (process.listenerCount(sig) > 1) return;
      uninstall();
      void shutdownWithin(true).then(() => process.kill(process.pid, sig));
    };
    signalHandlers.set(sig, handler);
    process.on(sig, handler);
  }
  process.on('exit', onExit);
  process.on('beforeExit', onBeforeExit);

  function uninstall(): void {
    process.removeListener('exit', onExit);
    process.removeListener('beforeExit', onBeforeExit);
    for (const [sig, handler] of signalHandlers) process.removeListener(sig, handler);
    signalHandlers.clear();
    if (registry.uninstall === uninstall) registry.uninstall = undefined;
  }
  return uninstall;
}
