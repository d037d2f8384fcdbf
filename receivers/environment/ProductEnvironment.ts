import type { EnvironmentConfig, LicenseKeyInfo } from './config.js';
import { detectDatabaseDriver, detectFramework, loadedKnownPackages } from './detectModules.js';
import { detectIntegrations } from './detectIntegrations.js';
import { InstallationIdStore } from './installationId.js';
import { observedDatabases, type ObservedDatabases } from './observedDatabases.js';
import { runtimeInfo, type RuntimeInfo } from './runtimeInfo.js';

/** Camunda's `{ vendor, version }` pair (database, application server). */
export interface VendorVersion {
  vendor: string;
  version?: string;
}

/** Everything the environment half knows at one moment. */
export interface EnvironmentSnapshot {
  installation: string;
  product: { name: string; version: string; edition: string };
  database: VendorVersion | undefined;
  applicationServer: VendorVersion | undefined;
  runtime: RuntimeInfo;
  integrations: readonly string[];
  license: LicenseKeyInfo | undefined;
}

export interface ProductEnvironmentOptions {
  config: EnvironmentConfig;
  /** Telemetry dir holding `installation-id`. */
  dir: string;
  /** Whether telemetry is on: only then is the installation id written to disk. */
  consent: { readonly enabled: boolean };
  /** Database systems seen on spans; default the process-wide ones the span bridge feeds. */
  observed?: ObservedDatabases;
  env?: NodeJS.ProcessEnv;
}

/**
 * The environment of one product installation: explicit configuration first, then what the process really loads
 * (database driver, web framework), what its spans say (`db.system.name`) and where it runs. Re-evaluated on every
 * snapshot, so a driver loaded after start-up is reported in the next usage report.
 */
export class ProductEnvironment {
  readonly config: EnvironmentConfig;
  readonly installationId: InstallationIdStore;
  private readonly consent: { readonly enabled: boolean };
  private readonly observed: ObservedDatabases;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: ProductEnvironmentOptions) {
    this.config = options.config;
    this.installationId = new InstallationIdStore(options.dir);
    this.consent = options.consent;
    this.observed = options.observed ?? observedDatabases();
    this.env = options.env ?? process.env;
  }

  /** The installation id; persisted (created once) only while telemetry is on. */
  installation(): string {
    return this.installationId.get(this.consent.enabled);
  }

  snapshot(): EnvironmentSnapshot {
    const c = this.config;
    return {
      installation: this.installation(),
      product: { name: c.productName, version: c.productVersion, edition: c.productEdition },
      database: this.database(),
      applicationServer: this.applicationServer(),
      runtime: runtimeInfo(),
      integrations: this.integrations(),
      license: c.license,
    };
  }

  database(): VendorVersion | undefined {
    const c = this.config;
    const driver = c.detect ? detectDatabaseDriver(loadedKnownPackages()) : undefined;
    const vendor = c.databaseVendor ?? (c.detect ? this.observed.top() : undefined) ?? driver?.system;
    if (vendor === undefined) return undefined;
    // The server's version is known only when configured; otherwise say which client library talks to it.
    const version = c.databaseVersion ?? (driver && driver.system === vendor ? driverLabel(driver.name, driver.version) : undefined);
    return version === undefined ? { vendor } : { vendor, version };
  }

  applicationServer(): VendorVersion | undefined {
    const c = this.config;
    const framework = c.detect ? detectFramework(loadedKnownPackages()) : undefined;
    const vendor = c.appServerVendor ?? framework?.vendor;
    if (vendor === undefined) return undefined;
    const version = c.appServerVersion ?? (framework && framework.vendor === vendor ? framework.version : undefined);
    return version === undefined ? { vendor } : { vendor, version };
  }

  integrations(): readonly string[] {
    const c = this.config;
    const all = new Set(c.integrations);
    if (c.detect) for (const i of detectIntegrations(this.env)) all.add(i);
    return [...all].sort();
  }
}

function driverLabel(name: string, version: string | undefined): string {
  return version === undefined ? name : `${name} ${version}`;
}
