import { hostPackageJson } from '../../core/paths.js';
import { booleanSetting, listSetting, resolveSettings, stringSetting, type SettingsMode, type SettingsOptions, type SettingsValues } from '../../core/settings.js';

// Free text that ends up in reports: printable, bounded, no line breaks (it is shown in tables and logs).
const LABEL = /^[^\u0000-\u001f\u007f]{1,128}$/u;
const LABEL_ALLOWED = '1-128 printable characters';

/**
 * Settings of the environment half (who runs the product, on what). Everything here is either configured
 * explicitly or detected from what the process itself loads; nothing personal (no user or host names, IPs, paths
 * or env values) is ever read into it unless it is set here.
 */
export const environmentSettings = {
  productName: stringSetting('TELEMETRY_PRODUCT_NAME', () => hostPackageJson()?.name, 'Product name in the usage report and the resource (`product_telemetry.product.name`). Default: the host app\'s package.json `name`, else `unknown`.', LABEL, LABEL_ALLOWED),
  productVersion: stringSetting('TELEMETRY_PRODUCT_VERSION', () => hostPackageJson()?.version, 'Product version (`product_telemetry.product.version`). Default: the host app\'s package.json `version`, else `unknown`.', LABEL, LABEL_ALLOWED),
  productEdition: stringSetting('TELEMETRY_PRODUCT_EDITION', 'community', 'Product edition: `community`, `enterprise` or free text (`product_telemetry.product.edition`).', LABEL, LABEL_ALLOWED),
  databaseVendor: stringSetting('TELEMETRY_DATABASE_VENDOR', undefined, 'Database vendor (e.g. `postgresql`); beats detection from loaded drivers and spans.', LABEL, LABEL_ALLOWED),
  databaseVersion: stringSetting('TELEMETRY_DATABASE_VERSION', undefined, 'Database server version (e.g. `16.1`); without it the loaded driver and its version are reported (`pg 8.23.1`).', LABEL, LABEL_ALLOWED),
  appServerVendor: stringSetting('TELEMETRY_APP_SERVER_VENDOR', undefined, 'Application server / web framework vendor (e.g. `fastify`); beats detection from loaded modules.', LABEL, LABEL_ALLOWED),
  appServerVersion: stringSetting('TELEMETRY_APP_SERVER_VERSION', undefined, 'Application server / web framework version; default: the detected package\'s version.', LABEL, LABEL_ALLOWED),
  integrations: listSetting('TELEMETRY_INTEGRATIONS', [], 'Integrations the product uses (Camunda\'s `camunda-integration`), comma-separated; merged with detected ones.'),
  detect: booleanSetting('TELEMETRY_DETECT', true, 'Detect the database driver and web framework from loaded modules and spans, and the `docker`/`kubernetes`/`ci` integrations; `false` reports only what is configured.'),
} as const;

/** Camunda's `license-key` object, passed through as the host gives it (only when the host gives it). */
export interface LicenseKeyInfo {
  customer?: string;
  type?: string;
  'valid-until'?: string;
  unlimited?: boolean;
  features?: Record<string, string | boolean>;
  raw?: string;
}

export type EnvironmentOptions = SettingsOptions<typeof environmentSettings> & {
  /** Optional license/edition object, reported as `license-key` (never detected). */
  license?: LicenseKeyInfo;
};

export type EnvironmentConfig = SettingsValues<typeof environmentSettings> & {
  readonly productName: string;
  readonly productVersion: string;
  readonly productEdition: string;
  readonly license: LicenseKeyInfo | undefined;
};

/** Resolve once at the composition root (code option > env > default); throws ConfigError naming the variable. */
export function loadEnvironmentConfig(options: EnvironmentOptions = {}, env: NodeJS.ProcessEnv = process.env, mode: SettingsMode = 'operator'): EnvironmentConfig {
  const { license, ...rest } = options;
  const v = resolveSettings(environmentSettings, rest as Record<string, unknown>, env, mode);
  return Object.freeze({
    ...v,
    productName: v.productName ?? 'unknown',
    productVersion: v.productVersion ?? 'unknown',
    productEdition: v.productEdition ?? 'community',
    integrations: Object.freeze([...v.integrations]),
    license: license === undefined ? undefined : (Object.freeze(structuredClone(license)) as LicenseKeyInfo),
  });
}
