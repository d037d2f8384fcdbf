import { diag } from '../../core/diag.js';
import { ExportResultCode, type ExportResult } from '../../core/exportResult.js';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { serializeRecord } from '../../core/line.js';
import type { TelemetryLine } from '../../core/record.js';
import { loadClickHouseConfig, type ClickHouseConfig, type ClickHouseOptions } from './config.js';
import { withRetry } from './retry.js';
import { RowWriter } from './RowWriter.js';
import { rowFromLine, type EventRow } from './rows.js';
import { ensureSchema } from './schema.js';
import { SequenceClock } from './sequence.js';

export interface ClickHouseLogExporterOptions extends ClickHouseOptions {
  /** Scenario for records that carry no `product_telemetry.scenario` attribute (or the older `telemetry.scenario`) (as the JSONL exporter's). */
  defaultScenario?: string;
  /** Environment to read `TELEMETRY_CLICKHOUSE_*` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * An OTel `LogRecordExporter` that writes telemetry records straight to a ClickHouse events table — the same rows the
 * collector's ClickHouse store writes, so an app can skip the collector. Put it behind a batch processor
 * (`productTelemetry({ exporters: [new ClickHouseLogExporter()] })` does), so each batch becomes one INSERT.
 *
 * Each record becomes the JSONL line `core/line.ts` serialises (cached when the policy processor already did it),
 * and that line's fields become the row: ids, details and levels are exactly those of the JSONL files. The schema is
 * created (or checked) before the first insert. Inserts are retried with backoff until
 * `TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS`; then the export reports FAILED and a diag error — nothing is thrown.
 * Settings are resolved in the constructor (a bad one throws ConfigError there, at start-up).
 */
export class ClickHouseLogExporter implements LogRecordExporter {
  readonly config: ClickHouseConfig;
  private readonly writer: RowWriter;
  private readonly defaultScenario: string | undefined;
  private readonly seq = new SequenceClock();
  private readonly inFlight = new Set<Promise<void>>();
  private schemaReady: Promise<void> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** Records that could not become a line (skipped with a diag error). */
  rejected = 0;
  /** Records written. */
  exported = 0;
  /** Records whose insert failed after all retries. */
  failed = 0;

  constructor(options: ClickHouseLogExporterOptions = {}) {
    const { defaultScenario, env, ...settings } = options;
    this.config = loadClickHouseConfig(settings, env ?? process.env);
    this.writer = new RowWriter(this.config);
    this.defaultScenario = defaultScenario;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    if (this.shutdownPromise !== undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('ClickHouseLogExporter is shut down') });
      return;
    }
    const rows: EventRow[] = [];
    for (const record of logs) {
      try {
        const { line } = serializeRecord(record, this.defaultScenario);
        rows.push(rowFromLine(JSON.parse(line) as TelemetryLine, this.seq.next()));
      } catch (err) {
        this.rejected++;
        diag.error(`ClickHouse exporter skipped a record: ${(err as Error).message}`);
      }
    }
    const p = this.write(rows).then(
      () => {
        this.exported += rows.length;
        resultCallback({ code: ExportResultCode.SUCCESS });
      },
      (err: unknown) => {
        this.failed += rows.length;
        diag.error(`ClickHouse exporter lost ${rows.length} record(s): ${(err as Error).message}`);
        resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Resolves when every export handed over so far has finished (written or failed). */
  async forceFlush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Finish the exports in flight (each bounded by the retry deadline), then refuse new ones. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.forceFlush();
    return this.shutdownPromise;
  }

  private async write(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ensureSchema();
    await this.writer.insert(rows);
  }

  /** Once per exporter; a failure (server down at start) is tried again on the next export. */
  private ensureSchema(): Promise<void> {
    if (this.schemaReady === undefined) {
      const c = this.config;
      this.schemaReady = withRetry(c, `preparing table ${c.database}.${c.table}`, () => ensureSchema(this.writer.http, c, c.createSchema));
      this.schemaReady.catch(() => (this.schemaReady = undefined));
    }
    return this.schemaReady;
  }
}
