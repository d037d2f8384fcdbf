import { InvalidArgumentError } from './commander.js';
import { isSafeScenario } from '../core/scenario.js';
import { parseTimeBound } from '../query/time.js';
import { defaultTelemetryDir } from '../core/paths.js';
import { UsageError } from './errors.js';

// Argument parsers for commander: a bad value throws InvalidArgumentError, which commander reports naming the
// option, and the CLI turns into exit code 2.

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return Number(value);
}

export function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
}

export function timeBound(value: string): number {
  const t = parseTimeBound(value);
  if (t === undefined) throw new InvalidArgumentError('expected an ISO 8601 time (2025-01-15T12:00:00Z, 2025-01-15) or a duration before now (30m, 2h, 7d, 1h30m)');
  return t;
}

export function httpUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an absolute http:// or https:// URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError('expected an absolute http:// or https:// URL');
  return value.replace(/\/+$/, '');
}

/** Repeatable, comma-separable list option (`--event a --event b,c`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)];
}

export function scenarioArg(value: string): string {
  if (!isSafeScenario(value)) {
    throw new InvalidArgumentError('not a scenario name: use 1-128 characters from A-Z a-z 0-9 . _ - starting with a letter or digit');
  }
  return value;
}

/**
 * The data dir: `--dir`, else `TELEMETRY_DIR` (blank = unset, as in core/config.ts), else the platform default.
 * Read directly rather than through the settings table so `logs` does not load the schema library at start-up.
 */
export function resolveDir(dir: string | undefined, env: NodeJS.ProcessEnv): string {
  if (dir !== undefined) {
    if (dir.trim() === '') throw new UsageError('--dir must not be empty');
    return dir;
  }
  const fromEnv = env.TELEMETRY_DIR;
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : defaultTelemetryDir();
}
