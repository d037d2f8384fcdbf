import { lstat } from 'node:fs/promises';
import type { TelemetryLine } from '../../core/record.js';
import { readJsonlBatches } from '../../collector/stores/readJsonl.js';
import { scenarioFiles } from '../../query/files.js';
import { computeInsights } from '../../query/insights/compute.js';
import type { InsightsAnswer, InsightsQuery } from '../../query/insights/types.js';
import { CliError, InterruptedError } from '../errors.js';
import { knownScenarios } from '../knownScenarios.js';

export interface LocalInsightsOptions {
  failureEvents: readonly string[];
  /** Told about each torn or invalid line (skipped). */
  onInvalid: (file: string, lineNumber: number) => void;
  /** Aborted on SIGINT/SIGTERM: the scan stops at the next chunk (InterruptedError, exit 130). */
  signal?: AbortSignal;
}

/**
 * `insights` without `--url`: the reference computation (query/insights/compute.ts, the rules every store follows)
 * over the scenario's files in `dir`: rotated segments `{scenario}.jsonl.{N}` oldest first, then `{scenario}.jsonl`,
 * the files `logs` reads. Streams them in constant memory; only regular files are read (a symlink is refused, as
 * by `logs`).
 */
export async function localInsights(dir: string, query: InsightsQuery, options: LocalInsightsOptions): Promise<InsightsAnswer> {
  const { active, segments } = await scenarioFiles(dir, query.scenario);
  const files: string[] = [];
  for (const path of [...segments, active]) {
    let isFile: boolean;
    try {
      isFile = (await lstat(path)).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CliError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!isFile) throw new CliError(`${path} is not a regular file; refused`);
    files.push(path);
  }
  if (files.length === 0) throw new CliError(`no events for scenario "${query.scenario}" in ${dir}${await knownScenarios(dir)}`);
  return computeInsights(query, linesOf(files, options), { failureEvents: options.failureEvents });
}

async function* linesOf(files: readonly string[], options: LocalInsightsOptions): AsyncGenerator<TelemetryLine> {
  const { onInvalid, signal } = options;
  for (const path of files) {
    try {
      for await (const batch of readJsonlBatches(path, { onInvalid: (n) => onInvalid(path, n) })) {
        // A scan of a large store takes seconds: Ctrl-C must stop it, not wait for the end (main.ts only aborts).
        if (signal?.aborted) throw new InterruptedError();
        for (const s of batch) yield s.line;
      }
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      // A segment the uploader sent and removed while we listed: its events are gone from this dir, not an error.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CliError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
