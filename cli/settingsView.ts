import { ConsentState, TOGGLE_FILE, type ConsentReason } from '../core/consent.js';
import { loadPipelineConfig, type PipelineConfig } from '../core/config.js';
import { unsafeDataDir } from '../core/stateFile.js';

/** The pipeline configuration and consent as an app with this environment would see them. */
export function loadConsent(env: NodeJS.ProcessEnv, dir: string | undefined): { config: PipelineConfig; consent: ConsentState } {
  const config = loadPipelineConfig(dir === undefined ? {} : { dir }, env);
  const consent = new ConsentState({
    dir: config.dir,
    enabled: config.enabled,
    enabledSource: env.TELEMETRY_ENABLED?.trim() ? 'TELEMETRY_ENABLED' : 'default',
    doNotTrack: config.doNotTrack,
    sdkDisabled: config.sdkDisabled,
    unsafeDir: unsafeDataDir(config.dir),
  });
  return { config, consent };
}

/** Why telemetry is on or off, in words. */
export function explainReason(reason: ConsentReason, enabled: boolean, env: NodeJS.ProcessEnv, dir: string): string {
  switch (reason) {
    case 'DO_NOT_TRACK':
      return `DO_NOT_TRACK=${env.DO_NOT_TRACK ?? ''} forces it off, whatever else says`;
    case 'OTEL_SDK_DISABLED':
      return `OTEL_SDK_DISABLED=${env.OTEL_SDK_DISABLED ?? ''} forces it off`;
    case 'unsafe_dir':
      return `the telemetry dir ${dir} is writable by others or not yours: nothing is recorded there (use a private dir)`;
    case 'toggle':
      return `turned ${enabled ? 'on' : 'off'} with \`${enabled ? 'enable' : 'disable'}\` (saved in ${dir}/${TOGGLE_FILE})`;
    case 'TELEMETRY_ENABLED':
      return `TELEMETRY_ENABLED=${env.TELEMETRY_ENABLED ?? ''}`;
    case 'option':
      return 'set by the application';
    default:
      return 'off until you opt in: run `otel-product-telemetry enable` or set TELEMETRY_ENABLED=true';
  }
}
