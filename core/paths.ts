import envPaths from 'env-paths';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The platform's per-user data dir + `telemetry` (e.g. `~/.local/share/otel-product-telemetry/telemetry`). */
export function defaultTelemetryDir(): string {
  return join(envPaths('otel-product-telemetry', { suffix: '' }).data, 'telemetry');
}

/**
 * The collector's default data dir: the platform's per-user data dir + `collector` (e.g.
 * `~/.local/share/otel-product-telemetry/collector`), a sibling of the apps' dir, never the same: an app that uploads
 * to a local collector would otherwise find its events stored twice in one dir (its own line and the collector's copy),
 * and its uploader would send the collector's copies back. `TELEMETRY_DIR` (or `--dir`) overrides both.
 */
export function defaultCollectorDir(): string {
  return join(envPaths('otel-product-telemetry', { suffix: '' }).data, 'collector');
}

let hostPackage: { name?: string; version?: string } | null | undefined;

/**
 * The host application's package.json: the nearest one above the entry script (or the working directory).
 * Read once; used only for defaults (scenario, product name and version).
 */
export function hostPackageJson(): { name?: string; version?: string } | null {
  if (hostPackage !== undefined) return hostPackage;
  hostPackage = null;
  const start = process.argv[1] ? dirname(resolve(process.argv[1])) : process.cwd();
  for (const from of [start, process.cwd()]) {
    let dir = from;
    for (let i = 0; i < 32; i++) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        try {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
          hostPackage = {
            name: typeof pkg.name === 'string' ? pkg.name : undefined,
            version: typeof pkg.version === 'string' ? pkg.version : undefined,
          };
          return hostPackage;
        } catch {
          break;
        }
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return hostPackage;
}
