import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { printable } from '../core/sanitize.js';
import { levelOfEvent, type Level } from '../query/level.js';
import type { Output } from '../query/output.js';
import { parseEntry } from '../query/query.js';
import { jsonlSink, jsonSink, type EntrySink } from '../query/sinks.js';
import type { Painter } from './style.js';

// cli-table3 costs ~50 ms to load: only the table format pays for it.
const loadTable = (): typeof TableType => createRequire(import.meta.url)('cli-table3') as typeof TableType;

export const FORMATS = ['table', 'json', 'jsonl'] as const;
export type LogFormat = (typeof FORMATS)[number];

const LEVEL_STYLE: Record<Level, Parameters<Painter>[0] | undefined> = { debug: 'dim', info: undefined, warn: 'yellow', error: 'red', fatal: 'magenta' };

export interface TableSinkOptions {
  paint: Painter;
  /** Terminal width (undefined when not a terminal: details are cut at 60 characters). */
  columns?: number;
  /** Rows rendered per block; follow mode flushes earlier. */
  batchRows?: number;
}

/**
 * Time, event, level, deployment and short details in fixed-width columns, so rows can be printed in blocks as they
 * are found (a stream of any length, and follow mode) and still line up. Long cells are cut with `…`.
 */
function tableSink(out: Output, options: TableSinkOptions): EntrySink {
  const { paint } = options;
  const widths = [26, 26, 7, 20];
  const fixed = widths.reduce((a, b) => a + b, 0);
  const detailsWidth = options.columns === undefined ? 62 : Math.max(20, options.columns - fixed - 1);
  const batchRows = options.batchRows ?? 500;
  let rows: string[][] = [];
  let headed = false;
  const Table = loadTable();

  const render = (): void => {
    if (rows.length === 0 && headed) return;
    const table = new Table({
      head: headed ? [] : ['TIME', 'EVENT', 'LEVEL', 'DEPLOYMENT', 'DETAILS'].map((h) => paint('bold', h)),
      colWidths: [...widths, detailsWidth],
      wordWrap: false,
      chars: {
        top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
        left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
      },
      style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [], compact: true },
    });
    for (const r of rows) table.push(r);
    headed = true;
    rows = [];
    const text = table.toString();
    if (text.length > 0) out.write(text.replace(/[ \t]+$/gm, '') + '\n');
  };

  return {
    write(buf, start, end) {
      // Lines reach a sink validated, so this parse does not fail; an object is needed only for the columns.
      // Stored lines come from uploads, i.e. from anyone: control and bidi characters are shown, not obeyed.
      const e = parseEntry(buf.toString('utf8', start, end));
      if (typeof e === 'string') return;
      const level = levelOfEvent(e.event, e.level);
      const style = LEVEL_STYLE[level];
      let details = e.details === undefined ? '' : printable(JSON.stringify(e.details));
      if (details.length > detailsWidth) details = details.slice(0, detailsWidth);
      rows.push([
        paint('dim', typeof e.ts === 'string' ? printable(e.ts) : ''),
        printable(e.event),
        style ? paint(style, level) : level,
        typeof e.deployment_id === 'string' ? printable(e.deployment_id) : '',
        details,
      ]);
      if (rows.length >= batchRows) render();
    },
    flush() {
      if (rows.length > 0) render();
      out.flush();
    },
    end() {
      if (rows.length > 0 || !headed) render();
      out.flush();
    },
  };
}

export function makeSink(format: LogFormat, out: Output, table: TableSinkOptions): EntrySink {
  if (format === 'json') return jsonSink(out);
  if (format === 'jsonl') return jsonlSink(out);
  return tableSink(out, table);
}
