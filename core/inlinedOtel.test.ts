import { describe, expect, it } from 'vitest';
import * as otelCore from '@opentelemetry/core';
import { ExportResultCode } from './exportResult.js';
import { millisToHrTime } from './time.js';
import { diagLevelFromString } from './diagFromEnv.js';

// Host-side code takes no run-time value from @opentelemetry/core (import cost); these are the three it used, written
// here. Each must answer exactly as the package does.
describe('what was taken from @opentelemetry/core', () => {
  it('ExportResultCode has the SDK enum values', () => {
    expect(ExportResultCode.SUCCESS).toBe(otelCore.ExportResultCode.SUCCESS);
    expect(ExportResultCode.FAILED).toBe(otelCore.ExportResultCode.FAILED);
  });

  it('millisToHrTime matches the SDK on whole, fractional, negative and large values', () => {
    for (const ms of [0, 1, 999, 1000, 1500.5, 1_700_000_000_123, 1_700_000_000_123.4567, 0.0004, -1, -1500.25, 8.64e15]) {
      expect(millisToHrTime(ms), String(ms)).toEqual(otelCore.millisToHrTime(ms));
    }
  });

  it('OTEL_LOG_LEVEL names read as the SDK reads them (any case; unknown = INFO)', () => {
    for (const name of ['all', 'VERBOSE', 'Debug', 'info', 'warn', 'error', 'none', 'NONE', 'loud', 'toString', '__proto__']) {
      expect(diagLevelFromString(name), name).toBe(otelCore.diagLogLevelFromString(name));
    }
  });
});
