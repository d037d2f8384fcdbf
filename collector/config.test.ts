import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from './config.js';

describe('collector settings: TELEMETRY_CORS_ORIGINS / corsOrigins', () => {
  it('takes exact origins from code or env, lower-cased from env', () => {
    expect(loadCollectorConfig({ corsOrigins: ['https://app.example.com'] }, {}).corsOrigins).toEqual(['https://app.example.com']);
    expect(loadCollectorConfig({}, { TELEMETRY_CORS_ORIGINS: 'https://A.example, http://[::1]:8080' }).corsOrigins).toEqual(['https://a.example', 'http://[::1]:8080']);
  });

  it('refuses a wildcard, a path or a non-string in the code option, naming it', () => {
    expect(() => loadCollectorConfig({ corsOrigins: ['*'] }, {})).toThrow(/option "corsOrigins": Invalid string: must match pattern/);
    expect(() => loadCollectorConfig({ corsOrigins: ['https://a.example/path'] }, {})).toThrow(/option "corsOrigins"/);
    expect(() => loadCollectorConfig({ corsOrigins: [5] as never }, {})).toThrow(/option "corsOrigins": Invalid input: expected string, received number/);
    expect(() => loadCollectorConfig({ corsOrigins: 'https://a.example' as never }, {})).toThrow(/option "corsOrigins": Invalid input: expected array, received string/);
  });
});
