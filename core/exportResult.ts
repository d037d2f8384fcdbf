import type { ExportResult, ExportResultCode as SdkExportResultCode } from '@opentelemetry/core';

/**
 * `ExportResultCode` of `@opentelemetry/core` (SUCCESS = 0, FAILED = 1: fixed values of the exporter contract), as
 * plain constants. The enum was the only run-time value host-side code took from that package; importing it from
 * the ES module build made Node parse the package's CommonJS export list at every host app's start
 * (~6 ms of CPU, more on the clock; `bench/import.mjs`). Typed as the SDK's enum, so results stay `ExportResult`s.
 */
export const ExportResultCode: { readonly SUCCESS: SdkExportResultCode.SUCCESS; readonly FAILED: SdkExportResultCode.FAILED } = {
  SUCCESS: 0 as SdkExportResultCode.SUCCESS,
  FAILED: 1 as SdkExportResultCode.FAILED,
};

export type { ExportResult };
