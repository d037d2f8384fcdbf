import type { LicenseKeyInfo } from '../environment/config.js';
import type { EnvironmentSnapshot, VendorVersion } from '../environment/ProductEnvironment.js';
import type { CountSet } from './counterStore.js';

/** `{ count }`, Camunda's value for each command and metric. */
export interface UsageCount {
  count: number;
}

/** Camunda's `product.internals`, with `runtime` in place of `jdk` and `integrations` for `camunda-integration`. */
export interface TelemetryInternals {
  /** Present when configured or detected. */
  database?: VendorVersion;
  /** Present when configured or detected. */
  'application-server'?: VendorVersion;
  runtime: { vendor: string; version: string };
  commands: Record<string, UsageCount>;
  metrics: Record<string, UsageCount>;
  integrations: string[];
  /** Present only when the host passed a license object. */
  'license-key'?: LicenseKeyInfo;
}

/** The usage report's body and the transparency output (`getTelemetryData()`, `GET /telemetry/data`). */
export interface TelemetryData {
  installation: string;
  product: {
    name: string;
    version: string;
    edition: string;
    internals: TelemetryInternals;
  };
}

/** The report's event name. */
export const USAGE_REPORT_EVENT = 'usage_report';

/**
 * Build the Camunda-shaped object. Key order is fixed and counter names are sorted, so the same state always
 * serialises to the same bytes (the transparency output equals the report byte for byte).
 */
export function buildTelemetryData(env: EnvironmentSnapshot, counts: CountSet): TelemetryData {
  const internals = {} as TelemetryInternals;
  if (env.database) internals.database = { ...env.database };
  if (env.applicationServer) internals['application-server'] = { ...env.applicationServer };
  internals.runtime = { vendor: env.runtime.vendor, version: env.runtime.version };
  internals.commands = countsObject(counts.commands);
  internals.metrics = countsObject(counts.metrics);
  internals.integrations = [...env.integrations];
  if (env.license) internals['license-key'] = structuredClone(env.license) as LicenseKeyInfo;
  return {
    installation: env.installation,
    product: { name: env.product.name, version: env.product.version, edition: env.product.edition, internals },
  };
}

function countsObject(map: ReadonlyMap<string, number>): Record<string, UsageCount> {
  const out: Record<string, UsageCount> = {};
  for (const name of [...map.keys()].sort()) {
    const value = { count: map.get(name)! };
    // defineProperty keeps a command named "__proto__" as plain data; plain assignment elsewhere keeps it fast
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}
