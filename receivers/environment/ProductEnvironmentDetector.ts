import { diag } from '../../core/diag.js';
import { ATTR_DB_SYSTEM_NAME as SEMCONV_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import type { DetectedResource, DetectedResourceAttributes, ResourceDetectionConfig, ResourceDetector } from '@opentelemetry/resources';
import { resolveEnvironment } from './activeEnvironment.js';
import { ATTR_APP_INSTALLATION_ID } from './installationId.js';
import type { ProductEnvironment } from './ProductEnvironment.js';
import { runtimeInfo } from './runtimeInfo.js';

// Semantic-convention names. Stable ones are imported from @opentelemetry/semantic-conventions; incubating ones
// (`process.runtime.*`, `os.type`, `host.arch`, `webengine.*`; `app.installation.id` in installationId.ts) are
// copied here, as that package advises, not imported from its `/incubating` entry.
export const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name';
export const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version';
export const ATTR_PROCESS_RUNTIME_DESCRIPTION = 'process.runtime.description';
export const ATTR_OS_TYPE = 'os.type';
export const ATTR_HOST_ARCH = 'host.arch';
/** Stable since semantic conventions 1.37. */
export const ATTR_DB_SYSTEM_NAME = SEMCONV_DB_SYSTEM_NAME;
export const ATTR_WEBENGINE_NAME = 'webengine.name';
export const ATTR_WEBENGINE_VERSION = 'webengine.version';
// No convention exists for these: they live in this project's one namespace, `product_telemetry.` (core/record.ts).
// The keys of earlier releases (`product.*`) are still accepted on input: LEGACY_RESOURCE_ATTRIBUTE_KEYS.
export const ATTR_PRODUCT_NAME = 'product_telemetry.product.name';
export const ATTR_PRODUCT_VERSION = 'product_telemetry.product.version';
export const ATTR_PRODUCT_EDITION = 'product_telemetry.product.edition';
export const ATTR_PRODUCT_DATABASE_VERSION = 'product_telemetry.database.version';
export const ATTR_PRODUCT_INTEGRATIONS = 'product_telemetry.integrations';

/** Resource attribute keys of earlier releases → the current keys (accepted on input, never written). */
export const LEGACY_RESOURCE_ATTRIBUTE_KEYS: ReadonlyMap<string, string> = new Map([
  ['product.name', ATTR_PRODUCT_NAME],
  ['product.version', ATTR_PRODUCT_VERSION],
  ['product.edition', ATTR_PRODUCT_EDITION],
  ['product.database.version', ATTR_PRODUCT_DATABASE_VERSION],
  ['product.integrations', ATTR_PRODUCT_INTEGRATIONS],
]);

/** Every resource attribute this detector can produce (the README's list is checked against it). */
export const PRODUCT_RESOURCE_ATTRIBUTES: readonly string[] = [
  ATTR_APP_INSTALLATION_ID,
  ATTR_PRODUCT_NAME,
  ATTR_PRODUCT_VERSION,
  ATTR_PRODUCT_EDITION,
  ATTR_PROCESS_RUNTIME_NAME,
  ATTR_PROCESS_RUNTIME_VERSION,
  ATTR_PROCESS_RUNTIME_DESCRIPTION,
  ATTR_OS_TYPE,
  ATTR_HOST_ARCH,
  ATTR_DB_SYSTEM_NAME,
  ATTR_PRODUCT_DATABASE_VERSION,
  ATTR_WEBENGINE_NAME,
  ATTR_WEBENGINE_VERSION,
  ATTR_PRODUCT_INTEGRATIONS,
];

export interface ProductEnvironmentDetectorOptions {
  /** The environment to describe; default the active pipeline's, else one built from env vars. */
  environment?: ProductEnvironment;
}

/**
 * An OTel `ResourceDetector` for the product installation: installation id, product name/version/edition, runtime,
 * OS type and architecture, and (when known) the database and web framework. Nothing personal: no host or user
 * names, IPs, paths or environment values.
 *
 * Every attribute is a plain value, read when `detect()` runs: the 3.x SDK line drops promise-valued attributes, so
 * none are used on either line. Database and framework are detected from the modules loaded by then (or
 * configured); `NodeSDK.start()` usually runs before the app loads them, so they are often absent from the resource.
 * The usage report detects them live when it is made, so what is sent is complete either way.
 */
export class ProductEnvironmentDetector implements ResourceDetector {
  private readonly environment: ProductEnvironment | undefined;

  constructor(options: ProductEnvironmentDetectorOptions = {}) {
    this.environment = options.environment;
  }

  detect(_config?: ResourceDetectionConfig): DetectedResource {
    const environment = this.environment ?? resolveEnvironment();
    if (environment === undefined) return {};
    try {
      const c = environment.config;
      const rt = runtimeInfo();
      const attributes: DetectedResourceAttributes = {
        [ATTR_APP_INSTALLATION_ID]: environment.installation(),
        [ATTR_PRODUCT_NAME]: c.productName,
        [ATTR_PRODUCT_VERSION]: c.productVersion,
        [ATTR_PRODUCT_EDITION]: c.productEdition,
        [ATTR_PROCESS_RUNTIME_NAME]: rt.name,
        [ATTR_PROCESS_RUNTIME_VERSION]: rt.version,
        [ATTR_PROCESS_RUNTIME_DESCRIPTION]: rt.vendor,
        [ATTR_OS_TYPE]: rt.osType,
        [ATTR_HOST_ARCH]: rt.arch,
      };
      const db = safely(() => environment.database());
      const server = safely(() => environment.applicationServer());
      attributes[ATTR_DB_SYSTEM_NAME] = db?.vendor;
      attributes[ATTR_PRODUCT_DATABASE_VERSION] = db?.version;
      attributes[ATTR_WEBENGINE_NAME] = server?.vendor;
      attributes[ATTR_WEBENGINE_VERSION] = server?.version;
      // Unknown values are left out rather than set to undefined (a resource keeps plain values only).
      for (const key of Object.keys(attributes)) if (attributes[key] === undefined) delete attributes[key];
      const integrations = safely(() => environment.integrations());
      if (integrations !== undefined && integrations.length > 0) attributes[ATTR_PRODUCT_INTEGRATIONS] = [...integrations];
      return { attributes };
    } catch (err) {
      diag.warn(`resource detection failed: ${(err as Error).message}`);
      return {};
    }
  }
}

function safely<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch (err) {
    diag.warn(`resource detection failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** A ready detector for `new NodeSDK({ resourceDetectors: [envDetector, productEnvironmentDetector] })`. */
export const productEnvironmentDetector: ProductEnvironmentDetector = new ProductEnvironmentDetector();
