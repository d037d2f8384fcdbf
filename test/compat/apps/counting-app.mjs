// Counts commands and emits a usage report through the register entry's pipeline.
import { telemetry } from 'otel-product-telemetry';

telemetry.countCommand('CreateOrder', 3);
telemetry.countMetric('orders-exported', 20);
await telemetry.event({ event: 'counted' });
