import { levelOf } from '../../../core/line.js';
import { DEFAULT_FAILURE_EVENTS, type TelemetryLine } from '../../../core/record.js';
import { detailGroup } from '../../../query/insights/groups.js';
import { checkInsightsQuery } from '../../../query/insights/params.js';
import { levelOfEvent } from '../../../query/level.js';
import { NO_GROUP, type InsightsAnswer, type InsightsQuery } from '../../../query/insights/types.js';
import { RebuildJournal, type LineSink, type RebuildableSink } from '../books.js';
import type { StoreEvent } from '../TelemetryStore.js';
import { answerFromRollup } from './answer.js';
import { Cell, ScenarioRollup, type SlotTable } from './rollup.js';

export const DEFAULT_INSIGHTS_KEYS: readonly string[] = ['version', 'platform'];
export const DEFAULT_MINUTE_HORIZON_MS = 48 * 3_600_000;
export const DEFAULT_MAX_GROUP_VALUES = 10_000;
export const DEFAULT_MAX_INSTALLATIONS = 1_000_000;

const HOUR = 3_600_000;
const MINUTE = 60_000;

export interface InsightsBookOptions {
  /** Events counted as failures. Default: the standard set (`DEFAULT_FAILURE_EVENTS`). */
  failureEvents?: readonly string[];
  /** `details` keys rolled up (besides event, level and deployment_id). Default `version`, `platform`. */
  keys?: readonly string[];
  /** Minute slots are kept for events this recent (older ones are in hour slots). Default 48 hours. */
  minuteHorizonMs?: number;
  /** Distinct groups per grouping per scenario (and event names per scenario) rolled up; beyond, that grouping is answered by a scan. Default 10,000. */
  maxGroupValues?: number;
  /** Distinct installation ids per scenario rolled up; beyond, installations are answered by a scan. Default 1,000,000. */
  maxInstallations?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Why a query cannot be answered from the rollups: the parameter to name if a scan is not possible either. */
export interface NotRolledUp {
  field: 'by' | 'bucket' | 'from';
  reason: string;
}

type Entry = [scenario: string, ms: number, event: string | undefined, level: string | undefined, dep: string | undefined, inst: string | undefined, details: Record<string, unknown> | undefined];

/**
 * The JSONL store's insights rollups, kept as lines are written (and counted from the files at start and after
 * retention, like the summaries: books.ts) so that `GET .../insights` reads no file.
 *
 * Per scenario × slot × event name: the events, their groups for each fixed grouping (level, deployment_id) and the
 * configured details keys, and the installation ids (rollup.ts). Slots are minutes for events of the last
 * `minuteHorizonMs` (48 h: a minute query covers at most 2,000 minutes) and hours before that; a minute slot that
 * falls behind the horizon is folded into its hour. So hour, day and week buckets are answered for any range on hour
 * boundaries, and minute buckets within the horizon.
 *
 * Memory is bounded by what is stored, not by the rate: (hours kept + minutes in the horizon) × event names ×
 * (1 + groups per grouping), plus each slot-event's installation ids (4 bytes each in a Set, at most 16 KiB as a
 * sketch) and one entry per distinct installation id of the scenario. Caps (maxGroupValues, maxInstallations) stop a
 * grouping, the event names or the ids from growing without bound: past a cap, that part is answered by a scan.
 */
export class InsightsBook implements RebuildableSink {
  private scenarios = new Map<string, ScenarioRollup>();
  private readonly failures: ReadonlySet<string>;
  private readonly keys: readonly string[];
  private readonly groupings: number;
  private readonly horizon: number;
  private readonly maxValues: number;
  private readonly maxIds: number;
  private readonly now: () => number;
  private readonly journal = new RebuildJournal<Entry>();
  /** Scratch: one event's group per grouping (copied by a cell only when it keeps them). */
  private readonly names: string[];
  private lastScenario = '';
  private last: ScenarioRollup | undefined;

  constructor(private readonly options: InsightsBookOptions = {}) {
    this.failures = new Set(options.failureEvents ?? DEFAULT_FAILURE_EVENTS);
    this.keys = [...(options.keys ?? DEFAULT_INSIGHTS_KEYS)];
    this.groupings = 2 + this.keys.length;
    this.names = new Array<string>(this.groupings).fill(NO_GROUP);
    this.horizon = options.minuteHorizonMs ?? DEFAULT_MINUTE_HORIZON_MS;
    this.maxValues = options.maxGroupValues ?? DEFAULT_MAX_GROUP_VALUES;
    this.maxIds = options.maxInstallations ?? DEFAULT_MAX_INSTALLATIONS;
    this.now = options.now ?? Date.now;
  }

  /** The details keys rolled up. */
  get rolledUpKeys(): readonly string[] {
    return this.keys;
  }

  touch(scenario: string): void {
    if (this.journal.active) this.journal.record([scenario, Number.NaN, undefined, undefined, undefined, undefined, undefined]);
    this.rollup(scenario);
  }

  /** A line read back from a file (start, retention). */
  addLine(scenario: string, line: TelemetryLine, ms: number): void {
    this.add(scenario, ms, line.event, line.level, line.deployment_id, line.installation_id, line.details);
  }

  /** An event just written to `scenario`'s file (the append path): its line's fields, without reading the line. */
  addEvent(scenario: string, e: StoreEvent): void {
    // The line's ts is the timestamp to the millisecond (core/line.ts), its level levelOf(severity).
    this.add(scenario, Math.floor(e.timestamp), e.event, e.severityNumber === undefined ? undefined : levelOf(e.severityNumber), e.deploymentId, e.installationId, e.details);
  }

  private add(scenario: string, ms: number, event: string | undefined, level: unknown, dep: unknown, inst: unknown, details: Record<string, unknown> | undefined): void {
    if (this.journal.active) this.journal.record([scenario, ms, event, level as string | undefined, dep as string | undefined, inst as string | undefined, details]);
    const r = this.rollup(scenario);
    // Lines without a time count in no bucket (the reference skips them too).
    if (event === undefined || !Number.isFinite(ms) || r.eventsOverflowed) return;
    let table: SlotTable;
    let start: number;
    if (ms >= r.minuteCutoff) {
      table = r.minutes;
      start = Math.floor(ms / MINUTE) * MINUTE;
      if (!table.has(start)) this.compact(r);
      if (ms < r.minuteCutoff) {
        table = r.hours;
        start = Math.floor(ms / HOUR) * HOUR;
      }
    } else {
      table = r.hours;
      start = Math.floor(ms / HOUR) * HOUR;
    }
    const slot = table.slot(start);
    let cell = slot.get(event);
    if (cell === undefined) {
      if (!r.eventNames.has(event)) {
        if (r.eventNames.size >= this.maxValues) {
          r.eventsOverflowed = true;
          return;
        }
        r.eventNames.add(event);
      }
      cell = new Cell(this.groupings);
      slot.set(event, cell);
    }
    const names = this.names;
    names[0] = levelOfEvent(event, level);
    names[1] = typeof dep === 'string' ? dep : NO_GROUP;
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const v = details !== undefined && Object.hasOwn(details, key) ? detailGroup(details[key]) : undefined;
      names[2 + k] = v ?? NO_GROUP;
    }
    cell.add(names, r.admit);
    if (typeof inst === 'string' && !r.idsOverflowed) {
      let id = r.lastInstallationId;
      if (id === -1 || inst !== r.lastInstallation) {
        if (r.ids.size >= this.maxIds) {
          r.idsOverflowed = true;
          return;
        }
        id = r.ids.intern(inst);
        r.lastInstallation = inst;
        r.lastInstallationId = id;
      }
      cell.addId(id, r.ids.hashes);
    }
  }

  /** Fold minute slots that fell behind the horizon into their hours (once per new minute slot, and before a query). */
  private compact(r: ScenarioRollup): void {
    const cutoff = Math.floor((this.now() - this.horizon) / MINUTE) * MINUTE;
    if (cutoff <= r.minuteCutoff) return;
    r.minuteCutoff = cutoff;
    for (const [start, slot] of r.minutes.slots) {
      if (start >= cutoff) continue;
      const hour = r.hours.slot(Math.floor(start / HOUR) * HOUR);
      for (const [event, cell] of slot) {
        const into = hour.get(event);
        if (into === undefined) hour.set(event, cell);
        else into.merge(cell, r.ids.hashes, r.admit);
      }
      r.minutes.delete(start);
    }
  }

  private rollup(scenario: string): ScenarioRollup {
    if (scenario === this.lastScenario && this.last !== undefined) return this.last;
    let r = this.scenarios.get(scenario);
    if (r === undefined) {
      r = new ScenarioRollup(this.groupings, Math.floor((this.now() - this.horizon) / MINUTE) * MINUTE, this.maxValues);
      this.scenarios.set(scenario, r);
    }
    this.lastScenario = scenario;
    this.last = r;
    return r;
  }

  has(scenario: string): boolean {
    return this.scenarios.has(scenario);
  }

  /**
   * The answer from the rollups, or why it cannot be given from them (a grouping not rolled up or past its cap, a
   * minute bucket before the horizon, a range not on slot boundaries). Throws InsightsQueryError for a bad query.
   */
  answer(q: InsightsQuery): InsightsAnswer | NotRolledUp {
    checkInsightsQuery(q);
    const r = this.scenarios.get(q.scenario) ?? new ScenarioRollup(this.groupings, Number.NEGATIVE_INFINITY, this.maxValues);
    this.compact(r);
    let grouping: number | undefined;
    if (q.by === 'level') grouping = 0;
    else if (q.by === 'deployment_id') grouping = 1;
    else if (q.by !== 'event') {
      const k = this.keys.indexOf(q.by);
      if (k === -1) return { field: 'by', reason: `details key ${JSON.stringify(q.by)} is not rolled up (rolled up: ${this.keys.join(', ') || 'none'})` };
      grouping = 2 + k;
    }
    if (r.eventsOverflowed) return { field: 'by', reason: `more than ${this.maxValues} event names in this scenario` };
    if (grouping !== undefined && r.values[grouping] === undefined) return { field: 'by', reason: `more than ${this.maxValues} distinct ${q.by} values in this scenario` };
    if (r.idsOverflowed) return { field: 'by', reason: `more than ${this.maxIds} installations in this scenario` };
    if (q.bucket === 'minute') {
      if (q.from % MINUTE !== 0 || q.to % MINUTE !== 0) return { field: 'from', reason: 'the range is not on minute boundaries' };
      if (q.from < r.minuteCutoff) return { field: 'bucket', reason: `minute buckets are kept for the last ${Math.round(this.horizon / HOUR)} hours (from ${new Date(r.minuteCutoff).toISOString()})` };
    } else if (q.from % HOUR !== 0 || q.to % HOUR !== 0) {
      return { field: 'from', reason: 'the range is not on hour boundaries' };
    }
    return answerFromRollup(q, r, grouping, this.failures);
  }

  /** Counted afresh (retention): `fill` counts the kept files; lines added meanwhile are replayed (books.ts). */
  async rebuild(fill: (fresh: LineSink) => Promise<void>): Promise<void> {
    const fresh = await this.journal.run(new InsightsBook(this.options), fill, (book, [scenario, ms, event, level, dep, inst, details]) => {
      if (event === undefined) book.touch(scenario);
      else book.add(scenario, ms, event, level, dep, inst, details);
    });
    this.scenarios = fresh.scenarios;
    this.lastScenario = '';
    this.last = undefined;
  }

  /** Sizes for the benchmark and diagnostics. */
  stats(): { scenarios: number; hourSlots: number; minuteSlots: number; cells: number; groupEntries: number; idEntries: number; installations: number } {
    const out = { scenarios: this.scenarios.size, hourSlots: 0, minuteSlots: 0, cells: 0, groupEntries: 0, idEntries: 0, installations: 0 };
    for (const r of this.scenarios.values()) {
      out.hourSlots += r.hours.slots.size;
      out.minuteSlots += r.minutes.slots.size;
      out.installations += r.ids.size;
      for (const table of [r.hours, r.minutes]) {
        for (const slot of table.slots.values()) {
          for (const cell of slot.values()) {
            out.cells++;
            out.groupEntries += cell.groupEntries;
            out.idEntries += cell.idCount;
          }
        }
      }
    }
    return out;
  }
}
