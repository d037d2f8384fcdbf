import { ConsentState, getActiveConsent, setActiveConsent } from './consent.js';
import { loadPipelineConfig, type PipelineConfig } from './config.js';
import type { LoggerLike } from './logTypes.js';
import { reportOnce } from './report.js';
import { unsafeDataDir } from './stateFile.js';
import { readSlot, sharedSlot, writeSlot } from './globalSlots.js';

/**
 * What the recording API needs before it emits anything: consent, the pipeline's rules and the pipeline's own
 * logger. A pipeline set up by `productTelemetry()` or `register` makes itself the active runtime; without one, a
 * runtime is derived from the environment alone, which has no logger: with no opt-in nothing is ever emitted, and
 * with an opt-in but no pipeline the call answers "not recorded" instead of emitting into whatever is registered.
 */
export interface TelemetryRuntime {
  readonly consent: ConsentState;
  readonly config: PipelineConfig;
  /** The pipeline's own logger (its private LoggerProvider carries the pipeline's processors). */
  readonly logger?: LoggerLike;
  /** Flush what the pipeline holds (`destroy()` of the Strapi-style instance). */
  forceFlush?(): Promise<void>;
}


/**
 * How many telemetry records the heads of this process's pipelines have received: the recording API compares it
 * before and after `emit()` (emit is synchronous) to know that a pipeline really took the record, whatever
 * LoggerProvider it went through. Shared by the ESM and CommonJS copies of the package.
 */
export const received: { count: number } = sharedSlot('received', () => ({ count: 0 }));

export function setActiveRuntime(runtime: TelemetryRuntime | undefined): void {
  writeSlot('runtime', runtime);
  setActiveConsent(runtime?.consent);
}

export function getActiveRuntime(): TelemetryRuntime | undefined {
  return readSlot<TelemetryRuntime>('runtime');
}

let fromEnv: TelemetryRuntime | null | undefined;

/** The active runtime, or one built once from the environment; undefined when it cannot be built. */
export function resolveRuntime(): TelemetryRuntime | undefined {
  const active = getActiveRuntime();
  if (active) return active;
  if (fromEnv === undefined) {
    try {
      const config = loadPipelineConfig({}, process.env, 'host');
      fromEnv = { config, consent: getActiveConsent() ?? consentFromConfig(config, enabledSource(undefined, process.env)) };
    } catch (err) {
      reportOnce('runtime', `telemetry disabled, configuration invalid: ${(err as Error).message}`);
      fromEnv = null;
    }
  }
  return fromEnv ?? undefined;
}

/** Where the resolved `enabled` value came from (for `status` and the CLI): code option > env > default. */
export function enabledSource(option: boolean | undefined, env: NodeJS.ProcessEnv): 'option' | 'TELEMETRY_ENABLED' | 'default' {
  if (option !== undefined) return 'option';
  return env.TELEMETRY_ENABLED?.trim() ? 'TELEMETRY_ENABLED' : 'default';
}

export function consentFromConfig(config: PipelineConfig, source: 'option' | 'TELEMETRY_ENABLED' | 'default'): ConsentState {
  // Inside a host app a dir that others may write turns telemetry off (never an exception into the app), said once.
  const unsafeDir = unsafeDataDir(config.dir);
  if (unsafeDir !== undefined) reportOnce(`unsafe-dir:${config.dir}`, `telemetry off: ${unsafeDir}`);
  return new ConsentState({
    unsafeDir,
    dir: config.dir,
    enabled: config.enabled,
    enabledSource: source,
    doNotTrack: config.doNotTrack,
    sdkDisabled: config.sdkDisabled,
  });
}
