import { diag } from '../../core/diag.js';
import { SeverityNumber } from '../../core/logTypes.js';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { serializeRecord } from '../../core/line.js';
import type { StoreBudget } from './compaction.js';

/**
 * The store cap on the write side: which records of a batch still fit in the store. Records are in order, oldest
 * first; once one does not fit, it and every later (newer) one are dropped, counted and said in the diag log — the
 * data already stored is never touched. Crash records (FATAL) are always kept: they are rare and the most valuable.
 * Records that cannot be serialised are passed on (the JSONL exporter reports and skips them).
 */
export function admitRecords(records: readonly ReadableLogRecord[], budget: StoreBudget, defaultScenario: string | undefined): readonly ReadableLogRecord[] {
  let full = false;
  let kept: ReadableLogRecord[] | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    let size: number;
    try {
      size = serializeRecord(record, defaultScenario).line.length;
    } catch {
      size = 0;
    }
    const crash = record.severityNumber !== undefined && record.severityNumber >= SeverityNumber.FATAL;
    if (crash) {
      budget.bytes += size;
    } else if (full || !budget.admit(size)) {
      full = true;
      kept ??= records.slice(0, i);
      budget.dropped++;
      if ((budget.dropped & (budget.dropped - 1)) === 0) {
        diag.warn(`local store is full of unsent events (TELEMETRY_STORE_MAX_BYTES=${budget.maxBytes}); newest events are dropped, ${budget.dropped} so far. Is the upload endpoint reachable?`);
      }
      continue;
    }
    kept?.push(record);
  }
  return kept ?? records;
}
