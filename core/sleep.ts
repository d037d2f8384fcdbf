/**
 * Wait `ms`, resolving early (never rejecting) when `signal` aborts. With `unref`, the wait does not keep the process
 * alive (a retry delay inside a library); without it, it does (a CLI polling a file is the only thing running).
 */
export function sleep(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
