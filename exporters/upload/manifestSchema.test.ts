import { describe, expect, it } from 'vitest';
import { checkManifest } from './manifest.js';
import { bundleManifestSchema } from './manifestSchema.js';

// The uploader checks manifests by hand (no zod on a host app's import path); the zod schema is exported for other
// tools. Both must give the same verdict, the same block and the same messages on good and bad manifests alike.
const cases: unknown[] = [
  null, [], 'x', 5, {}, { name: 'app' },
  { telemetry: null }, { telemetry: [] }, { telemetry: 'x' }, { telemetry: {} },
  { telemetry: { file: '' } }, { telemetry: { file: 'a\0b' } }, { telemetry: { file: 'x'.repeat(4096) } }, { telemetry: { file: 'x'.repeat(4097) } },
  { telemetry: { file: '\0'.repeat(4097) } }, { telemetry: { file: 5, upload_to: 6 } }, { telemetry: { file: null } },
  { telemetry: { upload_to: 'ftp://x' } }, { telemetry: { upload_to: '' } }, { telemetry: { upload_to: 'not a url' } },
  { telemetry: { file: 'telemetry/a.jsonl', upload_to: 'https://x.example/api/v1/telemetry/upload', other: 1 } },
  { telemetry: { file: 'bad\0', upload_to: 'ftp://x' } },
];

describe('bundle manifest: the hand-written check and the exported zod schema agree', () => {
  for (const c of cases) {
    it(JSON.stringify(c)?.slice(0, 80) ?? String(c), () => {
      const ours = checkManifest(c);
      const zod = bundleManifestSchema.safeParse(c);
      expect(ours.problems).toEqual(zod.success ? [] : zod.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
      if (zod.success) expect(ours.telemetry).toEqual(zod.data.telemetry);
      else expect(ours.telemetry).toBeUndefined();
    });
  }
});
