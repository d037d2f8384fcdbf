import type { LineFields, SerializedLine } from '../../core/line.js';
import { SeverityNumber } from '../../core/logTypes.js';
import { isSafeScenario } from '../../core/scenario.js';
import { millisToHrTime } from '../../core/time.js';
import { admitDetails, admitFields, isDropped, policyRules, type DropReason, type PolicyRules } from '../../processors/policy/admit.js';
import type { DedupWindow } from './DedupWindow.js';
import type { AppendResult, StoreEvent, StoreRejection } from './TelemetryStore.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** The answer's code for each of the policy's drop reasons. */
const DROP_CODES: Readonly<Record<DropReason, string>> = {
  crash_outside_production: ErrorCode.NOT_RECORDED,
  invalid: ErrorCode.VALIDATION,
  too_large: ErrorCode.EVENT_TOO_LARGE,
};

export interface StoreAdmissionOptions {
  /** Crash events are stored only when this is `production` (the default). */
  environment?: string;
  /** Largest serialised event (the policy's limit). Default 256 KiB. */
  maxEventBytes?: number;
  /** Most distinct scenarios; events that would create one more are rejected. Default 1000. */
  maxScenarios?: number;
  /**
   * Scenarios differing only by case share the first spelling stored (the JSONL store's files, so no two collide on a
   * case-insensitive file system). Default false: every spelling is its own scenario.
   */
  foldCase?: boolean;
}

/** An empty `append` answer. */
export function newAppendResult(): AppendResult {
  return { stored: 0, duplicates: 0, dropped: 0, rejections: [] };
}

/** Refuse the event at `index`: counted as dropped, named in the rejections. */
function rejectEvent(result: AppendResult, index: number, code: string, error: string): void {
  result.dropped++;
  result.rejections.push({ index, code, error } satisfies StoreRejection);
}

/**
 * The client ids met so far in one batch (or one group commit), per key (scenario or file). Held as one Set of ids per
 * key, so no "key + id" string is built and hashed per event, and the last key's Set is kept at hand (batches run in
 * long stretches of one scenario).
 */
export class SeenIds {
  private readonly byKey = new Map<string, Set<string>>();
  private lastKey: string | undefined;
  private last: Set<string> | undefined;

  /** Whether (key, id) was met before; if not, it is now. */
  seenBefore(key: string, id: string): boolean {
    let set = key === this.lastKey ? this.last : this.byKey.get(key);
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    this.lastKey = key;
    this.last = set;
    if (set.has(id)) return true;
    set.add(id);
    return false;
  }
}

/**
 * De-duplication by client id: whether `id` is stored for `key` (its scenario or file) within the window, or came
 * earlier in the same batch (`seen`, which it joins when not).
 */
export function isDuplicate(window: DedupWindow, seen: SeenIds, key: string, id: string): boolean {
  return window.has(key, id) || seen.seenBefore(key, id);
}

/**
 * Store admission, the same for every store: which scenario an event is kept under, the scenario checks (safe name,
 * the scenario limit), and the policy's verdict (processors/policy/admit.ts: crash only in production, valid, size),
 * each refusal answered with its code. The verdict's line is the event's JSONL line, serialised once.
 */
export class StoreAdmission {
  readonly rules: PolicyRules;
  readonly maxScenarios: number;
  private readonly scenarios = new Set<string>();
  /** Lower-cased scenario → the spelling that names it (the first stored); only when folding case. */
  private readonly byFold: Map<string, string> | undefined;

  constructor(options: StoreAdmissionOptions = {}) {
    this.rules = policyRules({ environment: options.environment ?? 'production', maxEventBytes: options.maxEventBytes });
    this.maxScenarios = options.maxScenarios ?? 1000;
    this.byFold = options.foldCase === true ? new Map() : undefined;
  }

  get scenarioCount(): number {
    return this.scenarios.size;
  }

  /** The scenario an event of `scenario` is kept under: itself, or (folding case) the first-stored spelling of it. */
  keyOf(scenario: string): string {
    if (this.byFold === undefined || this.scenarios.has(scenario)) return scenario;
    return (isSafeScenario(scenario) ? this.byFold.get(scenario.toLowerCase()) : undefined) ?? scenario;
  }

  /** A scenario is known (stored, or about to be); folding case, other spellings of it map to it. */
  known(scenario: string): void {
    this.scenarios.add(scenario);
    if (this.byFold === undefined) return;
    const fold = scenario.toLowerCase();
    if (!this.byFold.has(fold)) this.byFold.set(fold, scenario);
  }

  /** Undo `known` for a scenario whose events were not stored after all (a failed insert). */
  forget(scenario: string): void {
    this.scenarios.delete(scenario);
    if (this.byFold !== undefined && this.byFold.get(scenario.toLowerCase()) === scenario) this.byFold.delete(scenario.toLowerCase());
  }

  /**
   * The scenario checks for event `index`, kept under `key` (from `keyOf`): a scenario not yet known must be safe and
   * within the limit, and becomes known. Returns `false` (the event refused into `result`), `'known'` or `'new'`.
   */
  admitScenario(key: string, e: StoreEvent, index: number, result: AppendResult): false | 'known' | 'new' {
    if (this.scenarios.has(key)) return 'known';
    if (this.scenarios.size >= this.maxScenarios) {
      rejectEvent(result, index, ErrorCode.SCENARIO_LIMIT, `scenario ${JSON.stringify(e.scenario)} would exceed the limit of ${this.maxScenarios} scenarios (TELEMETRY_MAX_SCENARIOS)`);
      return false;
    }
    if (!isSafeScenario(key)) {
      rejectEvent(result, index, ErrorCode.SCENARIO, `unsafe scenario name ${JSON.stringify(String(e.scenario).slice(0, 80))}`);
      return false;
    }
    this.known(key);
    return 'new';
  }

  /**
   * The policy's verdict on event `index`: its line (`id` given, or absent for a UUIDv7 assigned here), or undefined
   * with the refusal in `result`.
   */
  admit(e: StoreEvent, id: string | undefined, index: number, result: AppendResult): SerializedLine | undefined {
    const verdict = admitFields(lineFields(e, id), this.rules);
    if (isDropped(verdict)) {
      rejectEvent(result, index, DROP_CODES[verdict.drop], verdict.message);
      return undefined;
    }
    return verdict;
  }

  /**
   * The same verdict for a store that keeps columns (processors/policy/admit.ts admitDetails): the line's `details`
   * JSON text ('' = none), or undefined with the refusal in `result`.
   */
  admitDetails(e: StoreEvent, id: string | undefined, index: number, result: AppendResult): string | undefined {
    const verdict = admitDetails(lineFields(e, id), this.rules);
    if (typeof verdict !== 'string') {
      rejectEvent(result, index, DROP_CODES[verdict.drop], verdict.message);
      return undefined;
    }
    return verdict;
  }
}

/** An uploaded event as the line's fields. */
function lineFields(e: StoreEvent, id: string | undefined): LineFields {
  return {
    scenario: e.scenario,
    event: e.event,
    // As HrTime from the epoch milliseconds, as the line always had them (1970 stays 1970).
    hrTime: millisToHrTime(e.timestamp),
    deploymentId: e.deploymentId,
    installationId: e.installationId,
    id,
    severityNumber: e.severityNumber ?? SeverityNumber.INFO,
    details: e.details,
  };
}
