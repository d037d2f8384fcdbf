import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';

/** An absolute http:// or https:// URL (the one rule for `upload_to`, shared with the exported zod schema). */
export function isHttpUrl(s: string): boolean {
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
export interface BundleManifestTelemetry {
  /** Path of a JSONL file to upload too: non-empty, at most 4096 characters, no NUL. */
  file?: string | undefined;
  /** The collector's upload URL: absolute http:// or https://. */
  upload_to?: string | undefined;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check a parsed manifest by hand: this runs inside host apps at start-up, where a schema library cost ~60 ms of
 * import time (`bench/import.mjs`). Same rules and messages as `bundleManifestSchema` (the zod schema exported for
 * other tools; `manifestSchema.test.ts` holds the two to the same answers): every problem as `path: message`.
 */
export function checkManifest(json: unknown): { telemetry: BundleManifestTelemetry | undefined; problems: string[] } {
  const problems: string[] = [];
  if (!isObject(json)) return { telemetry: undefined, problems: [`(root): Invalid input: expected object, received ${typeName(json)}`] };
  const block = json.telemetry;
  if (block === undefined) return { telemetry: undefined, problems };
  if (!isObject(block)) return { telemetry: undefined, problems: [`telemetry: Invalid input: expected object, received ${typeName(block)}`] };
  const telemetry: BundleManifestTelemetry = {};
  const { file, upload_to: uploadTo } = block;
  if (file !== undefined) {
    if (typeof file !== 'string') problems.push(`telemetry.file: Invalid input: expected string, received ${typeName(file)}`);
    else {
      if (file.length < 1) problems.push('telemetry.file: must be a non-empty path');
      if (file.length > 4096) problems.push('telemetry.file: Too big: expected string to have <=4096 characters');
      if (file.includes('\0')) problems.push('telemetry.file: must not contain NUL');
      telemetry.file = file;
    }
  }
  if (uploadTo !== undefined) {
    if (typeof uploadTo !== 'string') problems.push(`telemetry.upload_to: Invalid input: expected string, received ${typeName(uploadTo)}`);
    else if (!isHttpUrl(uploadTo)) problems.push('telemetry.upload_to: expected an absolute http:// or https:// URL');
    else telemetry.upload_to = uploadTo;
  }
  return { telemetry: problems.length > 0 ? undefined : telemetry, problems };
}

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
  const { telemetry, problems } = checkManifest(json);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${problems.map((p) => `${where}: ${p}`).join('\n  - ')}`);
  }
  const base = appDataDir ?? dirname(resolve(path));
  const file = telemetry?.file === undefined ? undefined : isAbsolute(telemetry.file) ? telemetry.file : resolve(base, telemetry.file);
  return { telemetry, uploadTo: telemetry?.upload_to, file };
}
