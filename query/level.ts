/**
 * The level of a stored event, for `logs --level` and the table's LEVEL column.
 *
 * Rule: a line that carries its own `level` (`debug`, `info`, `warn`/`warning`, `error`, `fatal`/`critical`) has
 * that level. Otherwise the failure events are `error` — `crash`, every `*_failed` event, `service_crashed`,
 * `dependency_unreachable`, `secrets_missing`, `update_error`, `readiness_timeout` — and everything else is `info`.
 * `--level X` keeps events of level X or more severe (`--level warn` keeps warn, error and fatal).
 */
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** Levels accepted by `--level` (debug is below every filter, so it is not offered). */
export const LEVEL_CHOICES = ['info', 'warn', 'error', 'fatal'] as const;

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

/** Failure events without the `_failed` suffix (which makes any event a failure). */
const ERROR_EVENTS: ReadonlySet<string> = new Set([
  'crash',
  'service_crashed',
  'dependency_unreachable',
  'secrets_missing',
  'update_error',
  'readiness_timeout',
]);

const ALIASES: Record<string, Level> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
};

/**
 * A line's own level, normalised; undefined when it carries none we recognise. Own keys only: a stored line's
 * `level: "constructor"` (or "toString", "__proto__") must not find Object.prototype's members and become a group
 * named after a function in the insights (found in the rollups' read path, issue 16).
 */
function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value.toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

function isFailureEvent(event: string): boolean {
  return ERROR_EVENTS.has(event) || event.endsWith('_failed');
}

export function levelOfEvent(event: string, ownLevel: unknown): Level {
  return normalizeLevel(ownLevel) ?? (isFailureEvent(event) ? 'error' : 'info');
}

export function levelRank(level: Level): number {
  return RANK[level];
}
