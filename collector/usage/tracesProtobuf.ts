import protobuf from 'protobufjs';
import { OTLP_DESCRIPTOR } from '../otlp/descriptor.js';

/**
 * The OTLP trace messages `POST /v1/traces` decodes, added to the collector's OTLP descriptor (common, resource)
 * as a protobufjs JSON descriptor. Only what the usage bridge reads is declared — span ids, parent, flags, name,
 * kind, attributes and event names; protobufjs skips undeclared fields, so every other part of a span is never
 * even decoded. Field names are the lowerCamelCase JSON names, so a decoded message and an OTLP/JSON body have the
 * same shape. Transcribed from opentelemetry-proto v1 `trace/v1/trace.proto` and `collector/trace/v1/trace_service.proto`.
 */
const KV = 'opentelemetry.proto.common.v1.KeyValue';
const trace = {
  ResourceSpans: {
    fields: {
      resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
      scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
    },
  },
  ScopeSpans: { fields: { spans: { rule: 'repeated', type: 'Span', id: 2 } } },
  Span: {
    fields: {
      traceId: { type: 'bytes', id: 1 },
      spanId: { type: 'bytes', id: 2 },
      parentSpanId: { type: 'bytes', id: 4 },
      name: { type: 'string', id: 5 },
      kind: { type: 'int32', id: 6 },
      attributes: { rule: 'repeated', type: KV, id: 9 },
      events: { rule: 'repeated', type: 'Event', id: 11 },
      flags: { type: 'fixed32', id: 16 },
    },
  },
  Event: { fields: { name: { type: 'string', id: 2 } } },
};
const traceService = {
  ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'opentelemetry.proto.trace.v1.ResourceSpans', id: 1 } } },
  ExportTraceServiceResponse: { fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } } },
  ExportTracePartialSuccess: { fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
};

const ns = (nested: Record<string, unknown>) => ({ nested });
const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR as protobuf.INamespace);
protobuf.Root.fromJSON(
  ns({ opentelemetry: ns({ proto: ns({ trace: ns({ v1: ns(trace) }), collector: ns({ trace: ns({ v1: ns(traceService) }) }) }) }) }) as protobuf.INamespace,
  root,
);

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
