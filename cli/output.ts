/**
 * Buffered writes to stdout with back-pressure: text is gathered into 64 KiB writes (one syscall per many lines)
 * and the reader waits for `drain` before reading more, so a slow consumer never makes memory grow.
 */
export class Output {
  private pending = '';
  private readonly stream: NodeJS.WritableStream & { writableNeedDrain?: boolean; destroyed?: boolean };

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= 65_536) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    this.stream.write(text);
  }

  /** Flush, then wait until the stream has room again (or is gone: a closed client must not leave us waiting). */
  async drain(): Promise<void> {
    this.flush();
    if (!this.stream.writableNeedDrain || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Flush and wait until everything written has been handed to the OS. */
  async end(): Promise<void> {
    this.flush();
    if (this.stream.destroyed) return;
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}
