import type { TelemetryLine } from '../../core/record.js';
import { detailGroup } from '../../core/detailValue.js';
import { levelOfEvent } from '../level.js';
import { NO_GROUP, OTHER_GROUP } from './types.js';

/** A details value as a group name (core/detailValue.ts, shared with the ClickHouse writers). */
export { detailGroup };

/** The group a line counts in for `by` (types.ts rules); NO_GROUP when it has no value for the grouping. */
export function groupOf(line: TelemetryLine, by: string): string {
  switch (by) {
    case 'event':
      return line.event;
    case 'level':
      return levelOfEvent(line.event, line.level);
    case 'deployment_id':
      return typeof line.deployment_id === 'string' ? line.deployment_id : NO_GROUP;
    default: {
      const details = line.details;
      if (details === null || typeof details !== 'object' || !Object.hasOwn(details, by)) return NO_GROUP;
      return detailGroup(details[by]) ?? NO_GROUP;
    }
  }
}

/** Code-point order (what a byte-wise UTF-8 comparison gives, e.g. ClickHouse's String ordering), not UTF-16 order. */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * The `top` rule: groups ranked by total (descending, ties by name ascending); the first `top` are named, the rest
 * fold into OTHER_GROUP. A group whose own name is OTHER_GROUP never takes a named place: it always counts in `other`
 * (so `other` is one group, last). Returns the named groups in rank order and the set of folded names.
 */
export function rankGroups(totals: ReadonlyMap<string, number>, top: number): { named: string[]; folded: Set<string> } {
  const ranked = [...totals.entries()].filter(([name]) => name !== OTHER_GROUP);
  ranked.sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]));
  const named = ranked.slice(0, top).map(([name]) => name);
  const folded = new Set(ranked.slice(top).map(([name]) => name));
  if (totals.has(OTHER_GROUP)) folded.add(OTHER_GROUP);
  return { named, folded };
}
