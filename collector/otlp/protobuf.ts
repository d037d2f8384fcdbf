import protobuf from 'protobufjs';
import { OTLP_DESCRIPTOR } from './descriptor.js';

const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR as protobuf.INamespace);

/** The decoders and encoders of the collector's OTLP routes (protobufjs reflection over the embedded descriptor). */
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');

/** The protobufjs root, for routes that decode more OTLP messages. */
export const otlpRoot = root;
