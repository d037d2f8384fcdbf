export { environmentSettings, loadEnvironmentConfig } from './config.js';
export type { EnvironmentConfig, EnvironmentOptions, LicenseKeyInfo } from './config.js';
export { ProductEnvironment } from './ProductEnvironment.js';
export type { EnvironmentSnapshot, ProductEnvironmentOptions, VendorVersion } from './ProductEnvironment.js';
export {
  ProductEnvironmentDetector,
  productEnvironmentDetector,
  PRODUCT_RESOURCE_ATTRIBUTES,
  ATTR_PRODUCT_NAME,
  ATTR_PRODUCT_VERSION,
  ATTR_PRODUCT_EDITION,
  ATTR_PRODUCT_DATABASE_VERSION,
  ATTR_PRODUCT_INTEGRATIONS,
  LEGACY_RESOURCE_ATTRIBUTE_KEYS,
} from './ProductEnvironmentDetector.js';
export type { ProductEnvironmentDetectorOptions } from './ProductEnvironmentDetector.js';
export { ATTR_APP_INSTALLATION_ID, INSTALLATION_ID_FILE, InstallationIdStore, ensureInstallationId, readInstallationId } from './installationId.js';
export { DATABASE_DRIVERS, FRAMEWORKS, loadedKnownPackages } from './detectModules.js';
export type { LoadedPackage } from './detectModules.js';
export { runtimeInfo } from './runtimeInfo.js';
export type { RuntimeInfo } from './runtimeInfo.js';
export { ObservedDatabases, observedDatabases } from './observedDatabases.js';
