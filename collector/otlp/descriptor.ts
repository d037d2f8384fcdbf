/**
 * The OTLP protobuf definitions the collector decodes, as a protobufjs JSON descriptor (embedded, so nothing is read
 * from disk and the bundle needs no .proto files). Transcribed from opentelemetry-proto v1
 * (`opentelemetry/proto/{common,resource,logs}/v1/*.proto`, `collector/logs/v1/logs_service.proto`) and
 * google/rpc/status.proto. Field names are the lowerCamelCase JSON names, so a decoded protobuf message and an
 * OTLP/JSON body have the same shape and one mapping serves both. Enums are declared as int32 (same wire format).
 *
 * To decode another signal (e.g. traces for `POST /v1/traces`), add its messages beside `logs` and reuse `common`
 * and `resource`.
 */
type Field = { type: string; id: number; rule?: 'repeated' };
type Message = { fields: Record<string, Field>; oneofs?: Record<string, { oneof: string[] }> };

const common: Record<string, Message> = {
  AnyValue: {
    oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
    fields: {
      stringValue: { type: 'string', id: 1 },
      boolValue: { type: 'bool', id: 2 },
      intValue: { type: 'int64', id: 3 },
      doubleValue: { type: 'double', id: 4 },
      arrayValue: { type: 'ArrayValue', id: 5 },
      kvlistValue: { type: 'KeyValueList', id: 6 },
      bytesValue: { type: 'bytes', id: 7 },
    },
  },
  ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
  KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
  KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
  InstrumentationScope: {
    fields: {
      name: { type: 'string', id: 1 },
      version: { type: 'string', id: 2 },
      attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
      droppedAttributesCount: { type: 'uint32', id: 4 },
    },
  },
};

const resource: Record<string, Message> = {
  Resource: {
    fields: {
      attributes: { rule: 'repeated', type: 'opentelemetry.proto.common.v1.KeyValue', id: 1 },
      droppedAttributesCount: { type: 'uint32', id: 2 },
    },
  },
};

const logs: Record<string, Message> = {
  LogsData: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
  ResourceLogs: {
    fields: {
      resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
      scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 },
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  ScopeLogs: {
    fields: {
      scope: { type: 'opentelemetry.proto.common.v1.InstrumentationScope', id: 1 },
      logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 },
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  LogRecord: {
    fields: {
      timeUnixNano: { type: 'fixed64', id: 1 },
      observedTimeUnixNano: { type: 'fixed64', id: 11 },
      severityNumber: { type: 'int32', id: 2 },
      severityText: { type: 'string', id: 3 },
      body: { type: 'opentelemetry.proto.common.v1.AnyValue', id: 5 },
      attributes: { rule: 'repeated', type: 'opentelemetry.proto.common.v1.KeyValue', id: 6 },
      droppedAttributesCount: { type: 'uint32', id: 7 },
      flags: { type: 'fixed32', id: 8 },
      traceId: { type: 'bytes', id: 9 },
      spanId: { type: 'bytes', id: 10 },
      eventName: { type: 'string', id: 12 },
    },
  },
};

const logsService: Record<string, Message> = {
  ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'opentelemetry.proto.logs.v1.ResourceLogs', id: 1 } } },
  ExportLogsServiceResponse: { fields: { partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } } },
  ExportLogsPartialSuccess: { fields: { rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
};

const rpc: Record<string, Message> = {
  // `details` (repeated google.protobuf.Any, id 3) is never sent by the collector and so not declared.
  Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
};

const ns = (nested: Record<string, unknown>): { nested: Record<string, unknown> } => ({ nested });

export const OTLP_DESCRIPTOR = ns({
  opentelemetry: ns({
    proto: ns({
      common: ns({ v1: ns(common) }),
      resource: ns({ v1: ns(resource) }),
      logs: ns({ v1: ns(logs) }),
      collector: ns({ logs: ns({ v1: ns(logsService) }) }),
    }),
  }),
  google: ns({ rpc: ns(rpc) }),
});
