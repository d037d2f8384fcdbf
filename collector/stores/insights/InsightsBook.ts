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
/** InsightsBookOptions.maxBytes' default (TELEMETRY_INSIGHTS_MAX_MB). */
export const DEFAULT_INSIGHTS_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Estimated heap bytes per part of the rollups (V8, 64-bit), chosen to err high: measured against heapUsed after GC
 * for 300,000 and 1,000,000 events (3 scenarios, 30 days, 5,000 installations): estimate 27 / 58 MB for 28.7 / 50.2 MB of heap (0.94x / 1.15x).
 * A cell holds its first event inline; from the second on a Map per grouping (MAP_BYTES each) and a Set of ids.
 */
const SLOT_BYTES = 160;
const CELL_BYTES = 160;
const MAP_BYTES = 120;
const GROUP_BYTES = 56;
const SET_BYTES = 100;
const ID_BYTES = 32;
const SKETCH_BYTES = 16_384 + 120;
const INSTALLATION_BYTES = 160;
const VALUE_BYTES = 72;
/** Once over the bound, slots are dropped until the estimate is below this share of it (not one drop per event). */
const DROP_TO = 0.8;

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
  /**
   * Estimated memory of all scenarios' rollups together, in bytes (default 256 MiB). Past it the oldest slots (hours,
   * of any scenario) are dropped until the estimate is below 80% of it; ranges starting before what is kept are
   * answered by the budgeted scan.
   */
  maxBytes?: number;
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
 * In total, all scenarios together stay within `maxBytes` (an estimate, `bound`): the oldest slots are dropped and
 * ranges reaching back to them are answered by a scan too.
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
  private readonly maxBytes: number;
  /** The most one add can grow the estimate (a new slot, cell, group of each grouping, id and installation). */
  private readonly addBound: number;
  /** Adds since the last measure, and how many more may come before the bound could be passed (measure then). */
  private adds = 0;
  private addsAllowed: number;
  /** The estimate at the last measure. */
  private measured = 0;
  /** Slots dropped to stay within maxBytes (stats). */
  private droppedSlots = 0;
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
    this.maxBytes = options.maxBytes ?? DEFAULT_INSIGHTS_MAX_BYTES;
    this.addBound = SLOT_BYTES + CELL_BYTES + this.groupings * (MAP_BYTES + GROUP_BYTES + VALUE_BYTES) + SET_BYTES + ID_BYTES + INSTALLATION_BYTES;
    this.addsAllowed = Math.floor(this.maxBytes / this.addBound);
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
    // Lines without a time count in no bucket (the reference skips them too); nothing before a dropped slot's end.
    if (event === undefined || !Number.isFinite(ms) || r.eventsOverflowed || ms < r.droppedBefore) return;
    // One counter per add in the usual case: the slow walk runs only when the bound could have been passed.
    if (++this.adds > this.addsAllowed) {
      this.bound();
      if (ms < r.droppedBefore) return;
    }
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

  /**
   * The total memory bound: measure the estimate (a walk over every cell) and, past maxBytes, drop the oldest slots of
   * all scenarios — oldest start first, both tables — until it is below DROP_TO (80%) of the bound. A scenario's
   * `droppedBefore` becomes the end of the newest slot dropped from it, and its slots before that go too, so what is
   * kept is every event from `droppedBefore` on: an answer from the rollups is never short. Should the slots all be
   * gone and the estimate still be over (installation ids and group names alone), the largest scenarios' rollups are
   * emptied entirely (everything answered by the scan). Then sets how many adds may come before the next measure.
   */
  private bound(): void {
    const measured = this.measure(false).total;
    let total = measured;
    // Measured before an add: leave room for it, so the estimate after any add is within the bound.
    if (total + this.addBound > this.maxBytes) {
      const { parts, fixed } = this.measure(true);
      const target = Math.min(this.maxBytes * DROP_TO, this.maxBytes - this.addBound);
      parts.sort((a, b) => a.start - b.start);
      let left = total;
      for (const p of parts) {
        if (left <= target) break;
        const end = p.start + p.table.slotMs;
        if (end > p.r.droppedBefore) p.r.droppedBefore = end;
        left -= p.bytes;
      }
      // Drop every slot that starts before its scenario's new droppedBefore (also slots of the other table that
      // overlap: an hour's minutes not yet folded into it).
      for (const p of parts) {
        if (p.start >= p.r.droppedBefore) continue;
        p.table.delete(p.start);
        this.droppedSlots++;
        total -= p.bytes;
      }
      if (total > target) {
        const largest = [...fixed.entries()].sort((a, b) => b[1] - a[1]);
        for (const [r, own] of largest) {
          if (total <= target) break;
          this.empty(r);
          total -= own;
        }
      }
    }
    // The next walk: when the adds since could pass the bound at twice the growth per add seen since the last walk
    // (at least an eighth of the worst case; the worst case itself until a growth was seen). A walk per worst-case
    // step cost 2.5x the add itself at the bound (1M events, 20 MiB); this keeps it rare, at the price that a burst
    // growing faster than twice the last rate can pass the bound until the next walk.
    const grown = this.adds > 0 && measured > this.measured ? (measured - this.measured) / this.adds : 0;
    const perAdd = grown === 0 ? this.addBound : Math.min(this.addBound, Math.max(this.addBound / 8, 2 * grown));
    this.measured = Math.max(0, total);
    this.adds = 0;
    this.addsAllowed = Math.max(0, Math.floor((this.maxBytes - this.measured) / perAdd));
  }

  /** The estimate: every slot's bytes (for dropping the oldest), each scenario's own (ids, names), the total. */
  private measure(withParts: boolean): { parts: { r: ScenarioRollup; table: SlotTable; start: number; bytes: number }[]; fixed: Map<ScenarioRollup, number>; total: number } {
    const parts: { r: ScenarioRollup; table: SlotTable; start: number; bytes: number }[] = [];
    const fixed = new Map<ScenarioRollup, number>();
    const maps = this.groupings * MAP_BYTES;
    let total = 0;
    for (const r of this.scenarios.values()) {
      let own = r.ids.size * INSTALLATION_BYTES + r.eventNames.size * VALUE_BYTES;
      for (const v of r.values) own += (v?.size ?? 0) * VALUE_BYTES;
      fixed.set(r, own);
      total += own;
      for (const table of [r.hours, r.minutes]) {
        for (const [start, slot] of table.slots) {
          let bytes = SLOT_BYTES;
          for (const cell of slot.values()) {
            const ids = cell.idCount;
            bytes += CELL_BYTES + (cell.count > 1 ? maps : 0) + cell.groupEntries * GROUP_BYTES + (ids > 1 ? SET_BYTES : 0) + ids * ID_BYTES + (cell.sketch === undefined ? 0 : SKETCH_BYTES);
          }
          if (withParts) parts.push({ r, table, start, bytes });
          total += bytes;
        }
      }
    }
    return { parts, fixed, total };
  }

  /** A scenario's rollups emptied for good (the bound): nothing is added, every query is answered by the scan. */
  private empty(r: ScenarioRollup): void {
    for (const table of [r.hours, r.minutes]) for (const start of [...table.slots.keys()]) table.delete(start);
    r.droppedBefore = Number.POSITIVE_INFINITY;
    r.eventNames.clear();
    for (const v of r.values) v?.clear();
    r.ids.clear();
    r.lastInstallation = '';
    r.lastInstallationId = -1;
  }

  /** Fold minute slots that fell behind the horizon into their hours (once per new minute slot, and before a query). */
  private compact(r: ScenarioRollup): void {
    const cutoff = Math.floor((this.now() - this.horizon) / MINUTE) * MINUTE;
    if (cutoff <= r.minuteCutoff) return;
    r.minuteCutoff = cutoff;
    for (const [start, slot] of r.minutes.slots) {
      if (start >= cutoff) continue;
      if (start < r.droppedBefore) {
        // Behind what the bound dropped: not folded into an hour that is gone.
        r.minutes.delete(start);
        continue;
      }
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
    if (q.from < r.droppedBefore) {
      const kept = Number.isFinite(r.droppedBefore) ? `from ${new Date(r.droppedBefore).toISOString()} on` : 'nothing of this scenario';
      return { field: 'from', reason: `the insights rollups keep ${kept} (memory bound TELEMETRY_INSIGHTS_MAX_MB: ${Math.round(this.maxBytes / 1048576)} MiB)` };
    }
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
    this.adds = fresh.adds;
    this.addsAllowed = fresh.addsAllowed;
    this.measured = fresh.measured;
    this.droppedSlots += fresh.droppedSlots;
    this.lastScenario = '';
    this.last = undefined;
  }

  /** Sizes for the benchmark and diagnostics. */
  stats(): { scenarios: number; hourSlots: number; minuteSlots: number; cells: number; groupEntries: number; idEntries: number; installations: number; estimatedBytes: number; droppedSlots: number } {
    const out = { scenarios: this.scenarios.size, hourSlots: 0, minuteSlots: 0, cells: 0, groupEntries: 0, idEntries: 0, installations: 0, estimatedBytes: this.measure(false).total, droppedSlots: this.droppedSlots };
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
