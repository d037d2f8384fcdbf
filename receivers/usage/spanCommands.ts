import { SpanKind } from '@opentelemetry/api';

/**
 * What the span bridge counts, written once for both bridges: the in-process `UsageSpanProcessor` (SDK spans) and
 * the collector's `POST /v1/traces` (OTLP spans, adapted through an attribute getter).
 */

/**
 * Whether a span is an operation the app handled rather than a step inside one: a `SERVER` or `CONSUMER` span, or
 * a local root (no parent, or a parent in another process) whose kind is not `CLIENT` or `PRODUCER` — an outgoing
 * call without a parent (an HTTP client call made outside any traced request, say) is still not a command.
 */
export function isEntrySpan(kind: SpanKind, hasLocalParent: boolean): boolean {
  if (kind === SpanKind.SERVER || kind === SpanKind.CONSUMER) return true;
  return !hasLocalParent && kind !== SpanKind.CLIENT && kind !== SpanKind.PRODUCER;
}

/** A span's attribute by key (the value as recorded; only non-empty strings are used for names). */
export type AttributeGetter = (key: string) => unknown;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * The command a span stands for, first match wins:
 * 1. `http.route` — as OpenTelemetry's HTTP server span name: `{method} {route}` with the method from
 *    `http.request.method` (older `http.method`; `_OTHER` becomes `HTTP`), else the route alone;
 * 2. RPC — `rpc.service/rpc.method`, or `rpc.method` alone;
 * 3. messaging — `{operation} {destination}` from `messaging.destination.name` and `messaging.operation.name`
 *    (older `messaging.operation`), else the destination alone;
 * 4. the span name.
 */
export function spanCommandName(spanName: string, attr: AttributeGetter): string {
  const route = str(attr('http.route'));
  if (route !== undefined) {
    const method = str(attr('http.request.method')) ?? str(attr('http.method'));
    if (method === undefined) return route;
    return `${method === '_OTHER' ? 'HTTP' : method} ${route}`;
  }
  const rpcMethod = str(attr('rpc.method'));
  if (rpcMethod !== undefined) {
    const service = str(attr('rpc.service'));
    return service === undefined ? rpcMethod : `${service}/${rpcMethod}`;
  }
  const destination = str(attr('messaging.destination.name'));
  if (destination !== undefined) {
    const operation = str(attr('messaging.operation.name')) ?? str(attr('messaging.operation'));
    return operation === undefined ? destination : `${operation} ${destination}`;
  }
  return spanName;
}
