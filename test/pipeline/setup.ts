import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { productTelemetry, type ProductTelemetryOptions } from '../../pipeline/productTelemetry.js';
import { createTelemetryInstance, type TelemetryInstance } from '../../receivers/api/TelemetryInstance.js';
import { tmpDir } from '../helpers.js';

export interface Pipeline {
  dir: string;
  pt: ReturnType<typeof productTelemetry>;
  provider: LoggerProvider;
  t: TelemetryInstance;
}

/** The real pipeline on a temp dir with a clean environment (nothing from the outside env leaks in). */
export function setupPipeline(options: ProductTelemetryOptions = {}): Pipeline {
  const dir = options.dir ?? tmpDir();
  const pt = productTelemetry({ dir, scenario: 'test-app', enabled: true, env: {}, exitHooks: false, ...options });
  const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
  const t = createTelemetryInstance({ loggerProvider: provider, runtime: { consent: pt.consent, config: pt.config } });
  return { dir, pt, provider, t };
}
