import { describe, expect, it } from 'vitest';
import { loadPipelineConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('pipeline configuration', () => {
  it('has documented defaults', () => {
    const c = loadPipelineConfig({}, {});
    expect(c.enabled).toBe(false);
    expect(c.environment).toBe('production');
    expect(c.flushIntervalMs).toBe(1000);
    expect(c.maxBatchBytes).toBe(4 * 1024 * 1024);
    expect(c.dir).toMatch(/otel-product-telemetry[/\\]telemetry$/);
  });

  it('reads env vars, with code options taking precedence and blank values meaning unset', () => {
    const env = { TELEMETRY_ENABLED: 'yes', TELEMETRY_FLUSH_INTERVAL_MS: '250', TELEMETRY_DIR: '  ', TELEMETRY_SCENARIO: 'env-scenario' };
    const c = loadPipelineConfig({ flushIntervalMs: 10 }, env);
    expect(c.enabled).toBe(true);
    expect(c.flushIntervalMs).toBe(10);
    expect(c.dir).toMatch(/telemetry$/);
    expect(c.defaultScenario).toBe('env-scenario');
    expect(loadPipelineConfig({}, { TELEMETRY_ENABLED: 'false' }).enabled).toBe(false);
  });

  it('derives the default scenario from OTEL_SERVICE_NAME, making it file-safe', () => {
    expect(loadPipelineConfig({}, { OTEL_SERVICE_NAME: '@acme/shop api' }).defaultScenario).toBe('acme-shop-api');
  });

  it('fails fast naming every bad variable and the allowed values', () => {
    let err: unknown;
    try {
      loadPipelineConfig({}, { TELEMETRY_ENABLED: 'maybe', TELEMETRY_FLUSH_INTERVAL_MS: '-5', TELEMETRY_SCENARIO: '../up' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('TELEMETRY_ENABLED="maybe"');
    expect(msg).toContain('true, false');
    expect(msg).toContain('TELEMETRY_FLUSH_INTERVAL_MS="-5"');
    expect(msg).toContain('integer 1..3600000');
    expect(msg).toContain('TELEMETRY_SCENARIO="../up"');
  });

  it('rejects unknown and mistyped code options', () => {
    expect(() => loadPipelineConfig({ flushIntervalMS: 5 } as never, {})).toThrow(/unknown option "flushIntervalMS"/);
    expect(() => loadPipelineConfig({ maxBatchSize: 'big' } as never, {})).toThrow(/option "maxBatchSize"/);
  });
});
