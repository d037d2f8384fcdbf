import * as api from '@opentelemetry/api';
import { envDetector, hostDetector, osDetector, processDetector, serviceInstanceIdDetector, type ResourceDetector } from '@opentelemetry/resources';
import { reportOnce } from '../core/report.js';

const BY_NAME: ReadonlyMap<string, ResourceDetector> = new Map([
  ['env', envDetector],
  ['host', hostDetector],
  ['os', osDetector],
  ['process', processDetector],
  ['serviceinstance', serviceInstanceIdDetector],
]);

/**
 * The resource detectors NodeSDK uses when it is given none: `OTEL_NODE_RESOURCE_DETECTORS` read exactly as NodeSDK
 * reads it (`all`, `none`, or a list of env, host, os, process, serviceinstance), and when unset the line's own
 * default (2.x: env, process, host; 3.x: serviceinstance, process, host, os, env). NodeSDK's `resourceDetectors`
 * option replaces that default, so a host that wants our attributes on its resource keeps its own with
 * `resourceDetectors: [...nodeSdkResourceDetectors(), ...pt.resourceDetectors]`.
 */
export function nodeSdkResourceDetectors(env: NodeJS.ProcessEnv = process.env): ResourceDetector[] {
  const raw = env.OTEL_NODE_RESOURCE_DETECTORS?.trim();
  if (!raw) {
    // The 3.x line is the one whose API carries the Logs API (@opentelemetry/api >= 1.10).
    const threeX = (api as unknown as Record<string, unknown>).logs !== undefined;
    return threeX ? [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector] : [envDetector, processDetector, hostDetector];
  }
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.includes('all')) return [...BY_NAME.values()];
  if (names.includes('none')) return [];
  return names.flatMap((name) => {
    const detector = BY_NAME.get(name);
    if (detector === undefined) reportOnce(`detector:${name}`, `OTEL_NODE_RESOURCE_DETECTORS: unknown detector "${name}" (known: all, none, ${[...BY_NAME.keys()].join(', ')})`);
    return detector ?? [];
  });
}
