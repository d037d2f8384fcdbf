// The public index: named exports only; see receivers/, processors/, exporters/ for the components.
export { telemetry, createTelemetryInstance, TelemetryInstance, CREATED_ACK } from './receivers/index.js';
export type { AppcdAck, TelemetryEventInput, TelemetryCrashInput, TelemetryPayload, TelemetryInstanceOptions } from './receivers/index.js';
export { productTelemetry, ProductTelemetry } from './pipeline/productTelemetry.js';
export type { ProductTelemetryOptions, ProductTelemetryStatus } from './pipeline/productTelemetry.js';
export { installExitHooks } from './pipeline/exitHooks.js';
export { nodeSdkResourceDetectors } from './pipeline/resourceDetectors.js';
export { ConsentState } from './core/consent.js';
export type { ConsentReason } from './core/consent.js';
export { loadPipelineConfig, pipelineSettings } from './core/config.js';
export type { PipelineConfig, PipelineOptions } from './core/config.js';
export { TelemetryError, ValidationError, ScenarioNameError, ConfigError, StoreError } from './core/errors.js';
export { isSafeScenario, SCENARIO_PATTERN } from './core/scenario.js';
export { TELEMETRY_SCOPE, ATTR_NAMESPACE, ATTR_SCENARIO, ATTR_DEPLOYMENT_ID, ATTR_APP_ID, ATTR_EVENT_ID, LEGACY_ATTRIBUTE_KEYS, DEFAULT_FAILURE_EVENTS } from './core/record.js';
export type { TelemetryLine } from './core/record.js';
export { VERSION } from './core/version.js';
export { captureCrashes } from './receivers/crash/index.js';
export type { CaptureCrashesOptions } from './receivers/crash/index.js';
export {
  ProductEnvironmentDetector,
  productEnvironmentDetector,
  ProductEnvironment,
  PRODUCT_RESOURCE_ATTRIBUTES,
  ATTR_APP_INSTALLATION_ID,
  UsageSpanProcessor,
  UsageCounters,
  UsageReporter,
  telemetryDataHandler,
  getTelemetryData,
  USAGE_REPORT_EVENT,
  environmentSettings,
  usageSettings,
  spanBridgeSettings,
} from './receivers/index.js';
export type {
  TelemetryData,
  TelemetryInternals,
  UsageCount,
  EnvironmentOptions,
  LicenseKeyInfo,
  UsageOptions,
  UsageSpanProcessorOptions,
  TelemetryDataHandlerOptions,
  VendorVersion,
} from './receivers/index.js';
export { UploadExporter, Uploader, uploadSettings, loadUploadConfig, readUploadState, UPLOAD_STATE_FILE } from './exporters/upload/index.js';
export type { UploadExporterOptions, UploaderOptions, UploadStatus, UploadOptions, UploadState } from './exporters/upload/index.js';
export { UploadError } from './core/errors.js';
