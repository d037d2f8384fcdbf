import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSafeScenario } from './scenario.js';

/**
 * The layout of a store (data) dir, in one place: a scenario's active file `{scenario}.jsonl` (appended to by the
 * JSONL writer) and its rotated segments `{scenario}.jsonl.{N}` (left by the upload exporter's compaction; N =
 * rotation time, ms). Everything else in the dir (toggle, ids, cursors, `quarantine/`, …) is not a store file.
 */
const STORE_NAME = /^(.+)\.jsonl(?:\.(\d{1,16}))?$/;

/** File name of a scenario's active store file: `{scenario}.jsonl`. */
export function activeFileName(scenario: string): string {
  return `${scenario}.jsonl`;
}

export interface StoreName {
  scenario: string;
  /** Rotation time of a segment; undefined for the active file. */
  rotatedAt: number | undefined;
}

/**
 * Split a name shaped like a store file (`{scenario}.jsonl` or `{scenario}.jsonl.{N}`) without judging the scenario
 * part: for showing what lies in a dir (escaped). To read or count store files use `parseStoreName`.
 */
export function splitStoreName(name: string): StoreName | undefined {
  const m = STORE_NAME.exec(name);
  if (!m) return undefined;
  return { scenario: m[1]!, rotatedAt: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * Parse a store file name: `{scenario}.jsonl` (rotatedAt undefined) or `{scenario}.jsonl.{N}`; undefined for
 * anything else, including a scenario name that is not safe as a file name.
 */
export function parseStoreName(name: string): StoreName | undefined {
  const parsed = splitStoreName(name);
  return parsed !== undefined && isSafeScenario(parsed.scenario) ? parsed : undefined;
}

export interface DirBytesOptions {
  /** How many levels of subfolders to descend into (0: only the files of `dir`). Default 0. */
  depth?: number;
  /** Count only the files (at any level) whose name passes. Default: all. */
  include?: (name: string) => boolean;
  /** Told about each counted file of `dir` itself (not of subfolders), with its size. */
  onFile?: (name: string, size: number) => void;
}

/**
 * Total size of the regular files under `dir`, synchronously. Symlinks and other non-regular files are never
 * followed or counted (a link planted in the data dir could point anywhere); a missing dir, or a file removed
 * meanwhile, counts 0.
 */
export function dirBytesSync(dir: string, options: DirBytesOptions = {}): number {
  const depth = options.depth ?? 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) {
    try {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isFile()) {
        if (options.include && !options.include(name)) continue;
        total += st.size;
        options.onFile?.(name, st.size);
      } else if (st.isDirectory() && depth > 0) {
        total += dirBytesSync(p, { depth: depth - 1, include: options.include });
      }
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

/** Bytes of the store files of `dir` (active files and segments; regular files only). */
export function storeBytesSync(dir: string): number {
  return dirBytesSync(dir, { include: (name) => parseStoreName(name) !== undefined });
}
