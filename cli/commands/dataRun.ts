import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliContext } from '../context.js';
import { resolveDir } from '../options.js';

/**
 * `data`: the library's own getTelemetryData(), in this process. The library reads its settings from process.env,
 * so --dir and the product defaults are put there before it loads; the product defaults to ./package.json of the
 * current directory (the app the user is looking at), not this CLI's own package.
 */
export async function runData(ctx: CliContext, o: { dir?: string }): Promise<void> {
  const env = process.env;
  if (o.dir !== undefined) env.TELEMETRY_DIR = resolveDir(o.dir, ctx.env);
  if (!env.TELEMETRY_PRODUCT_NAME?.trim()) {
    try {
      const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string' && pkg.name !== '') env.TELEMETRY_PRODUCT_NAME = pkg.name;
      if (typeof pkg.version === 'string' && pkg.version !== '' && !env.TELEMETRY_PRODUCT_VERSION?.trim()) env.TELEMETRY_PRODUCT_VERSION = pkg.version;
    } catch {
      // no package.json here: the library's own defaults apply
    }
  }
  const { getTelemetryData } = await import('../../index.js');
  ctx.stdout.write(JSON.stringify(getTelemetryData(), null, 2) + '\n');
}
