import { join } from 'node:path';
import { diag } from './diag.js';
import { readStateFileSync, writeStateFileSync } from './stateFile.js';
import { readSlot, writeSlot } from './globalSlots.js';

export type ConsentReason = 'DO_NOT_TRACK' | 'OTEL_SDK_DISABLED' | 'unsafe_dir' | 'toggle' | 'option' | 'TELEMETRY_ENABLED' | 'default';

export interface ConsentInputs {
  dir: string;
  /** TELEMETRY_ENABLED or the code option, already resolved (code > env > default false). */
  enabled: boolean;
  /** Where `enabled` came from, for `status`: 'option', 'TELEMETRY_ENABLED' or 'default'. */
  enabledSource?: 'option' | 'TELEMETRY_ENABLED' | 'default';
  doNotTrack: boolean;
  sdkDisabled: boolean;
  /**
   * Why the telemetry dir must not be used (`unsafeDataDir`: others may write it), if so: telemetry is then off
   * whatever else says, and nothing is written there (not even the toggle).
   */
  unsafeDir?: string;
}

export const TOGGLE_FILE = 'consent.json';

/**
 * Whether telemetry may be recorded, and why. Precedence:
 *  1. `DO_NOT_TRACK` / `OTEL_SDK_DISABLED`, and a telemetry dir that others may write, force it off.
 *  2. The persisted toggle (`setEnabled`, CLI `enable`/`disable`, `POST /telemetry/configuration`): a decision made at
 *     run time by the user, so it beats the start-up default, like Camunda's `toggleTelemetry`.
 *  3. `enabled` from code or `TELEMETRY_ENABLED`.
 *  4. Off.
 * Reading `enabled` is a field load, so the disabled path of the API costs next to nothing.
 */
export class ConsentState {
  readonly dir: string;
  enabled = false;
  reason: ConsentReason = 'default';
  private readonly inputs: ConsentInputs;
  private toggle: boolean | undefined;
  private readonly listeners = new Set<(enabled: boolean) => void>();

  constructor(inputs: ConsentInputs) {
    this.inputs = inputs;
    this.dir = inputs.dir;
    this.toggle = inputs.unsafeDir === undefined ? readToggle(inputs.dir) : undefined;
    this.recompute();
  }

  /** The persisted toggle, if one was ever set for this dir. */
  get persistedToggle(): boolean | undefined {
    return this.toggle;
  }

  /** Turn telemetry on or off at run time and persist the choice under the telemetry dir (atomic write, 0600). */
  setEnabled(value: boolean): void {
    this.toggle = value;
    if (this.inputs.unsafeDir !== undefined) {
      diag.warn(`the telemetry toggle was not saved: ${this.inputs.unsafeDir}`);
      this.recompute();
      return;
    }
    try {
      writeToggle(this.dir, value);
    } catch (err) {
      diag.warn(`could not persist the telemetry toggle in ${this.dir}: ${(err as Error).message}`);
    }
    this.recompute();
  }

  /** Re-read the persisted toggle (e.g. after the CLI changed it). */
  reload(): void {
    if (this.inputs.unsafeDir !== undefined) return;
    this.toggle = readToggle(this.dir);
    this.recompute();
  }

  onChange(listener: (enabled: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private recompute(): void {
    const before = this.enabled;
    const i = this.inputs;
    if (i.doNotTrack) [this.enabled, this.reason] = [false, 'DO_NOT_TRACK'];
    else if (i.sdkDisabled) [this.enabled, this.reason] = [false, 'OTEL_SDK_DISABLED'];
    else if (i.unsafeDir !== undefined) [this.enabled, this.reason] = [false, 'unsafe_dir'];
    else if (this.toggle !== undefined) [this.enabled, this.reason] = [this.toggle, 'toggle'];
    else [this.enabled, this.reason] = [i.enabled, i.enabledSource ?? (i.enabled ? 'option' : 'default')];
    if (before !== this.enabled) for (const l of this.listeners) l(this.enabled);
  }
}

export function readToggle(dir: string): boolean | undefined {
  try {
    const parsed = JSON.parse(readStateFileSync(join(dir, TOGGLE_FILE), 4096)) as { enabled?: unknown };
    return typeof parsed.enabled === 'boolean' ? parsed.enabled : undefined;
  } catch {
    return undefined;
  }
}

export function writeToggle(dir: string, value: boolean): void {
  writeStateFileSync(dir, TOGGLE_FILE, JSON.stringify({ enabled: value, changed_at: new Date().toISOString() }) + '\n');
}

// One active consent state per process, shared by ESM and CommonJS copies of this package (dual-package hazard):
// the `telemetry` instance reads it to decide, before emitting, whether anything may be recorded at all.
export function getActiveConsent(): ConsentState | undefined {
  return readSlot<ConsentState>('consent');
}

export function setActiveConsent(state: ConsentState | undefined): void {
  writeSlot('consent', state);
}
