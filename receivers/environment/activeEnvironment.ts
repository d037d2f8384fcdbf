import { diag } from '../../core/diag.js';
import { resolveRuntime } from '../../core/runtime.js';
import { loadEnvironmentConfig } from './config.js';
import { ProductEnvironment } from './ProductEnvironment.js';
import { readSlot, writeSlot } from '../../core/globalSlots.js';

// One per process, shared by ESM and CommonJS copies of this package: `productTelemetry()` makes its environment
// the active one; without a pipeline it is built once from the environment variables.

export function setActiveEnvironment(environment: ProductEnvironment | undefined): void {
  writeSlot('environment', environment);
}

let fromEnv: ProductEnvironment | null | undefined;

/** The active environment, or one built once from env vars; undefined when the configuration is invalid. */
export function resolveEnvironment(): ProductEnvironment | undefined {
  const active = readSlot<ProductEnvironment>('environment');
  if (active) return active;
  if (fromEnv === undefined) {
    fromEnv = null;
    const runtime = resolveRuntime();
    if (runtime) {
      try {
        fromEnv = new ProductEnvironment({ config: loadEnvironmentConfig({}, process.env, 'host'), dir: runtime.config.dir, consent: runtime.consent });
      } catch (err) {
        diag.warn(`environment data unavailable, configuration invalid: ${(err as Error).message}`);
      }
    }
  }
  return fromEnv ?? undefined;
}
