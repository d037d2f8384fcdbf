import { diag } from '../../core/diag.js';
import { ClickHouseHttp } from './ClickHouseHttp.js';
import type { ClickHouseConfig } from './config.js';
import { withRetry, type Attempt } from './retry.js';
import { rowKey, type EventRow } from './rows.js';
import { qualifiedName } from './schema.js';
import { encodeRowsNative } from './native.js';
import { encodeKeysRowBinary } from './rowBinary.js';
import { INSERT_COLUMNS, parseTsv } from './tsv.js';

const KEY_STRUCTURE = 's String, t UInt64, i String';

/**
 * `insert_distributed_sync=1`: into a `Distributed` table (the cluster variant), answer only once the shards have the
 * rows — by default ClickHouse queues them on the node that was asked and answers at once, so an acknowledged event
 * would be invisible to summaries and to the duplicate check for a while. No effect on other tables.
 */
const INSERT_SETTINGS = { insert_distributed_sync: '1' } as const;

/**
 * Writes rows to the events table: one `INSERT ... FORMAT Native` per call (native.ts: one block, column by column;
 * measured against RowBinary, which had been measured against TabSeparated), retried under the retry policy.
 *
 * A failed attempt may still have stored the rows (the answer was lost, a timeout hit after the insert, a block was
 * split across partitions). Before sending again, the writer asks which of the rows are there and sends only the
 * others, so a retry never stores an event twice. Should that check fail too, the attempt fails and is tried again
 * as a whole; when the deadline passes, `insert` fails without knowing what arrived — the caller acknowledges nothing,
 * and the collector's duplicate check finds those rows when the client sends them again.
 */
export class RowWriter {
  readonly http: ClickHouseHttp;
  private readonly config: ClickHouseConfig;
  private readonly insertSql: string;
  private readonly existingSql: string;

  constructor(config: ClickHouseConfig, http = new ClickHouseHttp(config)) {
    this.config = config;
    this.http = http;
    const table = qualifiedName(config);
    this.insertSql = `INSERT INTO ${table} (${INSERT_COLUMNS}) FORMAT Native`;
    this.existingSql = `SELECT scenario, ts_ms, id FROM ${table} WHERE (scenario, ts_ms, id) IN (SELECT s, t, i FROM keys) FORMAT TabSeparated`;
  }

  /**
   * Insert all rows (retrying); resolves when ClickHouse has them, with the keys (rowKey) of the rows that were in the
   * table before this call and so were not inserted — only rows for which `precheck` says yes are looked up first
   * (rows with fresh ids cannot be there). Throws ClickHouseError when it gave up; then some rows may be stored (a
   * later call with the same rows finds them and does not store them again). `body`: the rows already encoded
   * (`encodeRowsNative(rows)`), sent as long as every row is to be sent.
   */
  async insert(rows: readonly EventRow[], options: { precheck?: (row: EventRow) => boolean; signal?: AbortSignal; body?: Buffer } = {}): Promise<Set<string>> {
    const preexisting = new Set<string>();
    if (rows.length === 0) return preexisting;
    let pending = rows;
    let phase: 'precheck' | 'clean' | 'maybe-stored' = options.precheck === undefined ? 'clean' : 'precheck';
    const what = `inserting ${rows.length} row(s) into ${this.config.database}.${this.config.table}`;
    await withRetry(this.config, what, async (a: Attempt) => {
      if (phase !== 'clean') {
        const candidates = phase === 'precheck' ? pending.filter(options.precheck!) : pending;
        const found = await this.existingKeys(candidates, a);
        if (found.size > 0) {
          pending = pending.filter((r) => !found.has(rowKey(r.scenario, r.ts_ms, r.id)));
          if (phase === 'precheck') for (const k of found) preexisting.add(k);
          else diag.debug(`ClickHouse retry: ${found.size} row(s) of the failed insert were stored already`);
        }
        phase = 'clean';
      }
      if (pending.length === 0) return;
      // From here a failure may have stored some rows: the next attempt looks them up first.
      phase = 'maybe-stored';
      // The caller's body (`encodeRowsNative(rows)`, written ahead) while every row is still to be sent.
      const body = options.body !== undefined && pending === rows ? options.body : encodeRowsNative(pending);
      await this.http.exec(this.insertSql, { body, gzip: this.config.gzip, timeoutMs: a.timeoutMs, signal: a.signal, settings: INSERT_SETTINGS });
    }, options.signal);
    return preexisting;
  }

  /**
   * The keys (rowKey) among `rows` that the table already holds. One indexed lookup (scenario, ts_ms lead the key);
   * the keys travel as a RowBinary external table (rowBinary.ts: nothing to escape, nothing for ClickHouse to parse).
   */
  async existingKeys(rows: readonly Pick<EventRow, 'scenario' | 'ts_ms' | 'id'>[], a?: Pick<Attempt, 'timeoutMs' | 'signal'>): Promise<Set<string>> {
    const found = new Set<string>();
    if (rows.length === 0) return found;
    const text = await this.http.text(this.existingSql, { tables: [{ name: 'keys', structure: KEY_STRUCTURE, rowBinary: encodeKeysRowBinary(rows) }], timeoutMs: a?.timeoutMs, signal: a?.signal });
    for (const [scenario, ts, id] of parseTsv(text)) found.add(rowKey(scenario!, ts!, id!));
    return found;
  }
}
