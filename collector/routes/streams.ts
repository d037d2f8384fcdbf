import type { Server } from 'node:net';
import type { CollectorContext } from '../router.js';

/**
 * The events route's open reads of one collector: follow streams are counted against
 * `TELEMETRY_MAX_FOLLOW_STREAMS`, and every read is stopped when the collector stops listening (it is shutting
 * down) — by one shared check every 200 ms while reads are open, not a timer per request.
 */
class EventStreams {
  private readonly open = new Set<AbortController>();
  private follows = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: Server | undefined) {}

  get followCount(): number {
    return this.follows;
  }

  /** Register a read; `release` must be called when it ends. */
  add(stop: AbortController, follow: boolean): () => void {
    this.open.add(stop);
    if (follow) this.follows++;
    if (this.timer === undefined && this.server !== undefined) {
      const server = this.server;
      this.timer = setInterval(() => {
        if (server.listening) return;
        for (const s of this.open) s.abort();
      }, 200);
      this.timer.unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open.delete(stop);
      if (follow) this.follows--;
      if (this.open.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}

const byCollector = new WeakMap<CollectorContext, EventStreams>();

export function eventStreamsOf(collector: CollectorContext, server: Server | undefined): EventStreams {
  let s = byCollector.get(collector);
  if (s === undefined) {
    s = new EventStreams(server);
    byCollector.set(collector, s);
  }
  return s;
}
