import { StoreError } from '../../core/errors.js';
import type { AppendResult, StoreEvent } from './TelemetryStore.js';

/**
 * One `append` call waiting for its lines to be written: it settles when every batch it waits for is done (its own
 * lines' batches, and the batches holding ids it was told are duplicates of), rejecting if any of them failed.
 */
export class PendingAppend {
  /** Batches still to finish. */
  left = 0;
  failure: StoreError | undefined;
  constructor(
    readonly result: AppendResult,
    private readonly settle: (failure: StoreError | undefined) => void,
  ) {}

  /** One of its batches finished (`failure` when its write failed). */
  done(failure: StoreError | null): void {
    if (failure !== null) this.failure ??= failure;
    if (--this.left === 0) this.settle(this.failure);
  }
}

/** Lines for one file, written by one `write(2)`, and who waits for them. */
export interface Batch {
  readonly file: string;
  /**
   * The lines, in order, newline-terminated: one buffer per call, written together by one `writev(2)`. (One string
   * for the whole batch would be a rope of ropes whose flattening cost three times the encoding per call, measured.)
   */
  readonly chunks: Buffer[];
  /** The event of each line, in order (what is counted once the lines are written). */
  readonly events: StoreEvent[];
  /** The call each line belongs to (its `result.stored` counts it). */
  readonly owners: PendingAppend[];
  /** Every call to tell when the batch is done, each once. */
  readonly waiting: PendingAppend[];
  /** De-duplication keys (`file\nid`) of its lines that carry an id. */
  readonly keys: string[];
}

interface FileQueue {
  /** Filling: lines of calls that arrived while `writing` was in flight. */
  open: Batch | undefined;
  writing: Batch | undefined;
}

export interface GroupCommitTarget {
  /** Write `chunks` to `file` asynchronously, in order; `done(null)` once all are written, or with the failure. */
  write(file: string, chunks: readonly Buffer[], done: (err: StoreError | null) => void): void;
  /** The batch's lines are in the file: count them (summaries, de-duplication window, `result.stored`). */
  written(batch: Batch): void;
}

/**
 * Group commit for the JSONL store: a call's lines join the open batch of each file they go to, at most one write per
 * file is in flight, and when it completes every call waiting for it is answered together and the next batch (all
 * lines that arrived meanwhile) is written with one `write(2)`. Acknowledged = written still holds: a call settles
 * only after its lines are in the file. The writes run in libuv's pool, so parsing and validating other requests goes
 * on while they run, and under load one write carries many requests.
 *
 * Ids in batches not yet written are *pending*: a later call with the same id for the same file is a duplicate of
 * them and waits for their batch (if that write fails, so does the later call, and the client's retry stores the
 * event), so an id is never written twice and a duplicate is never acknowledged before its original is written.
 */
export class GroupCommit {
  private readonly files = new Map<string, FileQueue>();
  private readonly pending = new Map<string, Batch>();
  /** Batches written now. */
  private inFlight = 0;
  /** Batches filled but not started (`hold`), or waiting for their file's write. */
  private queued = 0;
  private held = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly target: GroupCommitTarget) {}

  /** Nothing written and nothing waiting. */
  get idle(): boolean {
    return this.inFlight === 0 && this.queued === 0;
  }

  /** The not-yet-written batch holding `id` for `file`, if any. */
  pendingBatch(file: string, id: string): Batch | undefined {
    return this.pending.size === 0 ? undefined : this.pending.get(file + '\n' + id);
  }

  /** `call` waits for `batch` as well (it acknowledged a duplicate of an id in it). */
  wait(call: PendingAppend, batch: Batch): void {
    if (batch.waiting.includes(call)) return;
    batch.waiting.push(call);
    call.left++;
  }

  /** Queue `call`'s lines for `file` (`events` in line order) and start the write unless one is in flight. */
  add(call: PendingAppend, file: string, text: string, events: readonly StoreEvent[]): void {
    let q = this.files.get(file);
    if (q === undefined) this.files.set(file, (q = { open: undefined, writing: undefined }));
    let b = q.open;
    if (b === undefined) {
      b = q.open = { file, chunks: [], events: [], owners: [], waiting: [], keys: [] };
      this.queued++;
    }
    b.chunks.push(Buffer.from(text, 'utf8'));
    for (const e of events) {
      b.events.push(e);
      b.owners.push(call);
      if (e.id !== undefined) {
        const key = file + '\n' + e.id;
        b.keys.push(key);
        this.pending.set(key, b);
      }
    }
    this.wait(call, b);
    this.start(q);
  }

  /**
   * Let the writes in flight finish and start no new one until `release` (retention's synchronous section needs
   * files nobody writes to). Calls keep queueing meanwhile.
   */
  async hold(): Promise<() => void> {
    this.held++;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.held === 0) for (const q of this.files.values()) this.start(q);
    };
  }

  /** Resolves when every queued batch is written (or failed). */
  drained(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.idle) resolve();
        else this.idleWaiters.push(check);
      };
      this.idleWaiters.push(check);
    });
  }

  private start(q: FileQueue): void {
    const b = q.open;
    if (b === undefined || q.writing !== undefined || this.held > 0) return;
    q.open = undefined;
    q.writing = b;
    this.queued--;
    this.inFlight++;
    this.target.write(b.file, b.chunks, (err) => {
      this.inFlight--;
      q.writing = undefined;
      for (const key of b.keys) if (this.pending.get(key) === b) this.pending.delete(key);
      let failure = err;
      if (failure === null) {
        try {
          this.target.written(b);
        } catch (e) {
          // Never thrown out of an fs callback (it would end the process); the calls fail and are retried.
          failure = new StoreError(`lines written but not counted: ${(e as Error).message}`, { cause: e });
        }
      }
      for (const call of b.waiting) call.done(failure);
      this.start(q);
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }
}
