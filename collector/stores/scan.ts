import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseStoreName } from '../../core/storeFiles.js';
import { millisFromIso } from '../isoTime.js';
import { forEachJsonlLine } from './readJsonl.js';
import type { LineSink } from './books.js';
import { SummaryBook, type SummaryOptions } from './SummaryBook.js';
import type { ScenarioSummary } from './TelemetryStore.js';

export interface ScenarioFile {
  scenario: string;
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * The store files of a data dir: regular files named `{scenario}.jsonl` (or rotated segments `{scenario}.jsonl.{N}`)
 * with a safe scenario name (symlinks and other names are ignored), oldest-modified first. A missing dir has none.
 */
export async function listScenarioFiles(dir: string): Promise<ScenarioFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: ScenarioFile[] = [];
  for (const name of names) {
    const scenario = parseStoreName(name)?.scenario;
    if (scenario === undefined) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      if (st.isFile()) files.push({ scenario, path, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // vanished between readdir and lstat: nothing to read
    }
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.scenario < b.scenario ? -1 : 1));
}

export interface ScanOptions extends SummaryOptions {
  /** Told about every stored id, oldest-modified file first, in file order (the de-duplication window's rebuild). */
  onId?: (scenario: string, id: string) => void;
  /** Told about every line that could not be read. */
  onInvalid?: (file: string, lineNumber: number, text: string) => void;
}

/** Stream every store file of `dir` into `book` (a SummaryBook, or every book of a store: books.ts) and ids to `onId`. */
export async function scanStoreDir(dir: string, book: LineSink, options: ScanOptions = {}): Promise<{ files: number; lines: number }> {
  const files = await listScenarioFiles(dir);
  let lines = 0;
  const onId = options.onId;
  for (const f of files) {
    book.touch(f.scenario);
    const scenario = f.scenario;
    lines += await forEachJsonlLine(
      f.path,
      (line) => {
        const ms = typeof line.ts === 'string' ? (millisFromIso(line.ts) ?? Number.NaN) : Number.NaN;
        book.addLine(scenario, line, ms);
        if (onId !== undefined && typeof line.id === 'string') onId(scenario, line.id);
      },
      { onInvalid: options.onInvalid ? (n, text) => options.onInvalid!(f.path, n, text) : undefined },
    );
  }
  return { files: files.length, lines };
}

/**
 * Per-scenario summaries of a data dir, computed offline from its JSONL files: the numbers `GET /api/v1/telemetry`
 * shows for the same files (the CLI's `summary` command uses this). Streams; torn and invalid lines are skipped.
 */
export async function buildSummaries(dir: string, options: ScanOptions = {}): Promise<ScenarioSummary[]> {
  const book = new SummaryBook(options);
  await scanStoreDir(dir, book, options);
  return book.all();
}
