import { diag, type AttributeValue } from '@opentelemetry/api';
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
 * Database and framework are detected from loaded modules, and `NodeSDK.start()` usually runs before the app has
 * loaded them, so those attributes are promises settled on the next timer tick, after the app's static imports
 * ran; the SDK's exporters wait for them. Configured values are given at once.
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
      const configuredDb = c.databaseVendor !== undefined && c.databaseVersion !== undefined;
      const configuredServer = c.appServerVendor !== undefined && c.appServerVersion !== undefined;
      const db = configuredDb || !c.detect ? safely(() => environment.database()) : settleNextTick(() => environment.database());
      const server = configuredServer || !c.detect ? safely(() => environment.applicationServer()) : settleNextTick(() => environment.applicationServer());
      attributes[ATTR_DB_SYSTEM_NAME] = pick(db, (d) => d.vendor);
      attributes[ATTR_PRODUCT_DATABASE_VERSION] = pick(db, (d) => d.version);
      attributes[ATTR_WEBENGINE_NAME] = pick(server, (s) => s.vendor);
      attributes[ATTR_WEBENGINE_VERSION] = pick(server, (s) => s.version);
      const integrations = safely(() => environment.integrations());
      if (integrations !== undefined && integrations.length > 0) attributes[ATTR_PRODUCT_INTEGRATIONS] = [...integrations];
      return { attributes };
    } catch (err) {
      diag.warn(`otel-product-telemetry: resource detection failed: ${(err as Error).message}`);
      return {};
    }
  }
}

function pick<T>(value: T | undefined | Promise<T | undefined>, field: (v: T) => AttributeValue | undefined): AttributeValue | undefined | Promise<AttributeValue | undefined> {
  if (value instanceof Promise) return value.then((v) => (v === undefined ? undefined : field(v)));
  return value === undefined ? undefined : field(value);
}

function safely<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch (err) {
    diag.warn(`otel-product-telemetry: resource detection failed: ${(err as Error).message}`);
    return undefined;
  }
}

// A ref'd zero-delay timer: it fires right after the current synchronous module evaluation, and never keeps the
// process alive for longer than that (an unref'd one could leave an exporter waiting for ever on a pending attribute).
function settleNextTick<T>(read: () => T | undefined): Promise<T | undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(safely(read)), 0));
}

/** A ready detector for `new NodeSDK({ resourceDetectors: [envDetector, productEnvironmentDetector] })`. */
export const productEnvironmentDetector: ProductEnvironmentDetector = new ProductEnvironmentDetector();
