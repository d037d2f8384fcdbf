import { diag } from '@opentelemetry/api';
import { ConsentState, getActiveConsent, setActiveConsent } from './consent.js';
import { loadPipelineConfig, type PipelineConfig } from './config.js';

/**
 * What the recording API needs to know before it emits anything: consent and the pipeline's rules. A pipeline set up
 * by `productTelemetry()` or `register` makes itself the active runtime; without one, a runtime is derived from the
 * environment alone (so with no opt-in, nothing is ever emitted, even into a foreign LoggerProvider).
 */
export interface TelemetryRuntime {
  readonly consent: ConsentState;
  readonly config: PipelineConfig;
}

const ACTIVE = Symbol.for('otel-product-telemetry.runtime');
type GlobalWithRuntime = typeof globalThis & { [ACTIVE]?: TelemetryRuntime };

export function setActiveRuntime(runtime: TelemetryRuntime | undefined): void {
  (globalThis as GlobalWithRuntime)[ACTIVE] = runtime;
  setActiveConsent(runtime?.consent);
}

export function getActiveRuntime(): TelemetryRuntime | undefined {
  return (globalThis as GlobalWithRuntime)[ACTIVE];
}

let fromEnv: TelemetryRuntime | null | undefined;

/** The active runtime, or one built once from the environment; undefined when the environment is invalid. */
export function resolveRuntime(): TelemetryRuntime | undefined {
  const active = getActiveRuntime();
  if (active) return active;
  if (fromEnv === undefined) {
    try {
      const config = loadPipelineConfig();
      fromEnv = { config, consent: getActiveConsent() ?? consentFromConfig(config, enabledSource(undefined, process.env)) };
    } catch (err) {
      diag.error(`otel-product-telemetry: telemetry disabled, configuration invalid: ${(err as Error).message}`);
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
  return new ConsentState({
    dir: config.dir,
    enabled: config.enabled,
    enabledSource: source,
    doNotTrack: config.doNotTrack,
    sdkDisabled: config.sdkDisabled,
  });
}
