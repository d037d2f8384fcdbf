/**
 * Maxima of the `logs` filters, shared by the CLI's flags and the collector's events route (README "Reading events"
 * and "Collector server"): anything larger is refused (CLI: usage error, exit 2; route: 400 naming the parameter).
 */
export const LOG_LIMITS = {
  /** `--tail` / `tail`: lines held in memory until the end of the history. */
  tail: 100_000,
  /** `--limit` / `limit`: lines sent before stopping. */
  limit: 100_000_000,
  /** `--search` / `search`: characters. */
  searchChars: 1024,
  /** `--event` / `event`: names in all (repeated or comma-separated). */
  events: 100,
  /** Characters of one event name. */
  eventChars: 256,
  /** `since` / `until`: characters of the raw value. */
  timeChars: 64,
} as const;
