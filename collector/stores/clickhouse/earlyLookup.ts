import { diag } from '../../../core/diag.js';
import type { EventRow } from '../../../exporters/clickhouse/rows.js';

/**
 * What the store had done when a lookup was sent: window additions (counted from before the INSERT in flight, if any:
 * the store takes a group's ids into its window before their INSERT lands), and INSERTs that failed.
 */
export interface StoreMark {
  readonly windowAdds: number;
  readonly failedInserts: number;
}

/** The answer of an early key lookup: the keys (rowKey) of the rows that the table held, and the store's mark when it was sent. */
export interface EarlyAnswer {
  readonly found: ReadonlySet<string>;
  readonly before: StoreMark;
}

interface Waiting {
  readonly rows: readonly EventRow[];
  resolve(answer: EarlyAnswer | undefined): void;
}

/**
 * The insert-time duplicate check, started when an append arrives instead of when its INSERT starts: appends that
 * arrive while a lookup runs are looked up together by the next one (a group, as the INSERTs are), so ClickHouse
 * answers lookups while the collector admits more events and while the previous INSERT runs, instead of between
 * admitting and inserting. One attempt each, no retries: an append whose lookup failed is looked up again, with
 * retries, just before its INSERT (RowWriter's precheck), as when there is no early answer at all.
 *
 * Why an early answer stays true enough: it holds every row stored before it was sent. Rows this store inserted since
 * then are in its de-duplication window, as long as the window has not dropped them — which the caller checks by
 * comparing its count of window additions with the mark (more additions than the window holds: look up again). An
 * INSERT of this store that failed since may have stored rows that are in no window: then too the caller looks up
 * again. Rows another collector inserts in between are the race the check never covered (two collectors storing the
 * same event at once); ReplacingMergeTree and the exact reads cover it.
 */
export class EarlyLookups {
  private readonly lookup: (rows: readonly EventRow[]) => Promise<Set<string>>;
  private readonly mark: () => StoreMark;
  private readonly maxRows: number;
  private readonly waiting: Waiting[] = [];
  private running = false;
  private scheduled = false;

  constructor(lookup: (rows: readonly EventRow[]) => Promise<Set<string>>, mark: () => StoreMark, maxRows: number) {
    this.lookup = lookup;
    this.mark = mark;
    this.maxRows = maxRows;
  }

  /** Look these rows up as soon as the lookup before has answered; resolves undefined when the lookup failed. Never rejects. */
  request(rows: readonly EventRow[]): Promise<EarlyAnswer | undefined> {
    return new Promise((resolve) => {
      this.waiting.push({ rows, resolve });
      // When idle, start on the next turn of the event loop, so that the appends whose uploads arrived in this turn
      // share one lookup (as they share one INSERT, ClickHouseStore.pump), instead of the first going alone.
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.next();
        });
      }
    });
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const group: Waiting[] = [];
    let n = 0;
    while (this.waiting.length > 0 && (group.length === 0 || n + this.waiting[0]!.rows.length <= this.maxRows)) {
      const w = this.waiting.shift()!;
      n += w.rows.length;
      group.push(w);
    }
    const rows = group.length === 1 ? group[0]!.rows : group.flatMap((w) => w.rows);
    const before = this.mark();
    this.lookup(rows).then(
      (found) => {
        for (const w of group) w.resolve({ found, before });
      },
      (err: unknown) => {
        diag.debug(`ClickHouse store: early duplicate lookup failed, looking up again before inserting: ${(err as Error).message}`);
        for (const w of group) w.resolve(undefined);
      },
    ).finally(() => {
      this.running = false;
      this.next();
    });
  }
}
