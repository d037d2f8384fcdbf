import { z } from 'zod';
import { isHttpUrl } from './manifest.js';

/**
 * The manifest's `telemetry` block as a zod schema, for tools that validate `bundle.json` themselves (exported from
 * `otel-product-telemetry/exporters`). The uploader does not use it: `readManifest` checks by hand (`checkManifest`)
 * so that host apps do not load zod at start-up; `manifestSchema.test.ts` holds both to the same answers.
 */
export const bundleManifestSchema = z.object({
  telemetry: z
    .object({
      file: z.string().min(1, 'must be a non-empty path').max(4096).refine((s) => !s.includes('\0'), 'must not contain NUL').optional(),
      upload_to: z.string().refine(isHttpUrl, 'expected an absolute http:// or https:// URL').optional(),
    })
    .optional(),
});
