import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The `telemetry` block of a Vrooli bundle manifest (`bundle.json`):
 * `{"telemetry":{"file":"telemetry/deployment-telemetry.jsonl","upload_to":"https://..."}}`.
 * Other keys of the manifest (and of the block) belong to other tools and are ignored.
 */
export const bundleManifestSchema = z.object({
  telemetry: z
    .object({
      file: z.string().min(1, 'must be a non-empty path').max(4096).refine((s) => !s.includes('\0'), 'must not contain NUL').optional(),
      upload_to: z.string().refine(isHttpUrl, 'expected an absolute http:// or https:// URL').optional(),
    })
    .optional(),
});

export type BundleManifestTelemetry = NonNullable<z.infer<typeof bundleManifestSchema>['telemetry']>;

export interface ResolvedManifest {
  readonly telemetry: BundleManifestTelemetry | undefined;
  readonly uploadTo: string | undefined;
  /** Absolute path of `telemetry.file` (relative paths are resolved against the app data dir). */
  readonly file: string | undefined;
}

/**
 * Read and validate a bundle manifest. `file` is relative to the app data dir (`TELEMETRY_APP_DATA_DIR`, else the
 * manifest's own directory). Throws ConfigError naming `TELEMETRY_MANIFEST`, the path and the offending field.
 */
export function readManifest(path: string, appDataDir: string | undefined): ResolvedManifest {
  const where = `TELEMETRY_MANIFEST=${JSON.stringify(path)}`;
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${where}: cannot read the manifest: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${where}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${where}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const telemetry = parsed.data.telemetry;
  const base = appDataDir ?? dirname(resolve(path));
  const file = telemetry?.file === undefined ? undefined : isAbsolute(telemetry.file) ? telemetry.file : resolve(base, telemetry.file);
  return { telemetry, uploadTo: telemetry?.upload_to, file };
}
