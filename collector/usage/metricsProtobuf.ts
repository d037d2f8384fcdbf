import protobuf from 'protobufjs';
import { OTLP_DESCRIPTOR } from '../otlp/descriptor.js';

/**
 * The OTLP metric messages `POST /v1/metrics` decodes, added to the collector's OTLP descriptor (common, resource)
 * as a protobufjs JSON descriptor. Only what the usage bridge reads is declared: metric names, which data kind a
 * metric has, and of sums the temporality, monotonicity and each number point's attributes, start time and value.
 * Gauge, histogram and summary points are declared empty: they are counted, never decoded further (protobufjs skips
 * undeclared fields). Field names are the lowerCamelCase JSON names, so a decoded message and an OTLP/JSON body have
 * the same shape. Transcribed from opentelemetry-proto v1 `metrics/v1/metrics.proto` and
 * `collector/metrics/v1/metrics_service.proto`.
 */
const KV = 'opentelemetry.proto.common.v1.KeyValue';
const empty = { fields: {} };
const metrics = {
  ResourceMetrics: {
    fields: {
      resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
      scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 },
    },
  },
  ScopeMetrics: { fields: { metrics: { rule: 'repeated', type: 'Metric', id: 2 } } },
  Metric: {
    oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
    fields: {
      name: { type: 'string', id: 1 },
      gauge: { type: 'Gauge', id: 5 },
      sum: { type: 'Sum', id: 7 },
      histogram: { type: 'Histogram', id: 9 },
      exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
      summary: { type: 'Summary', id: 11 },
    },
  },
  Gauge: { fields: { dataPoints: { rule: 'repeated', type: 'OtherDataPoint', id: 1 } } },
  Sum: {
    fields: {
      dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 },
      // AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative (an enum; int32 on the wire).
      aggregationTemporality: { type: 'int32', id: 2 },
      isMonotonic: { type: 'bool', id: 3 },
    },
  },
  Histogram: { fields: { dataPoints: { rule: 'repeated', type: 'OtherDataPoint', id: 1 } } },
  ExponentialHistogram: { fields: { dataPoints: { rule: 'repeated', type: 'OtherDataPoint', id: 1 } } },
  Summary: { fields: { dataPoints: { rule: 'repeated', type: 'OtherDataPoint', id: 1 } } },
  NumberDataPoint: {
    oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
    fields: {
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      asDouble: { type: 'double', id: 4 },
      asInt: { type: 'sfixed64', id: 6 },
      attributes: { rule: 'repeated', type: KV, id: 7 },
    },
  },
  OtherDataPoint: empty,
};
const metricsService = {
  ExportMetricsServiceRequest: { fields: { resourceMetrics: { rule: 'repeated', type: 'opentelemetry.proto.metrics.v1.ResourceMetrics', id: 1 } } },
  ExportMetricsServiceResponse: { fields: { partialSuccess: { type: 'ExportMetricsPartialSuccess', id: 1 } } },
  ExportMetricsPartialSuccess: { fields: { rejectedDataPoints: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
};

const ns = (nested: Record<string, unknown>) => ({ nested });
const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR as protobuf.INamespace);
protobuf.Root.fromJSON(
  ns({ opentelemetry: ns({ proto: ns({ metrics: ns({ v1: ns(metrics) }), collector: ns({ metrics: ns({ v1: ns(metricsService) }) }) }) }) }) as protobuf.INamespace,
  root,
);

export const ExportMetricsServiceRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
export const ExportMetricsServiceResponse = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
