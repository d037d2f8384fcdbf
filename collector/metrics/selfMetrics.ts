import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { diag } from '../../core/diag.js';
import type { AppendResult, StoreEvent, TelemetryStore } from '../stores/TelemetryStore.js';

/**
 * The collector's own telemetry, made with the OTel metrics SDK and exposed by its Prometheus exporter at
 * `GET /metrics` (text format). Both packages are optional peer dependencies, loaded here only when a collector
 * starts: every app with a NodeSDK has them already (the SDK depends on both, on either OTel line), and an app that
 * only records events never loads them. Without them `/metrics` answers 501 saying what to install.
 *
 * Instruments (Prometheus names in brackets):
 * - `http.server.request.duration` [http_server_request_duration_seconds]: histogram by `http.request.method`,
 *   `http.route` (the route template, `unmatched` for 404s) and `http.response.status_code`; its count is the
 *   number of requests by route and status.
 * - `product_telemetry.collector.events` [product_telemetry_collector_events_total]: events by `outcome` (`stored`,
 *   `duplicate`, `refused`) and, for refused ones, `reason` (the error code).
 * - `product_telemetry.collector.store.duration` [..._store_duration_seconds]: histogram of one store append.
 * - `product_telemetry.collector.follow_streams` [...]: open follow streams (gauge).
 * - `product_telemetry.collector.dedup_window.size` [...]: ids held by the store's de-duplication window (gauge).
 */
export interface SelfMetrics {
  requestDone(method: string, route: string, status: number, seconds: number): void;
  /** Events refused before they reach the store (validation at the edge), by error code. */
  refused(reason: string, n: number): void;
  /** The store as the routes see it: `append` timed and its outcomes counted; everything else untouched. */
  meter(store: TelemetryStore): TelemetryStore;
  /** Serve the Prometheus text exposition. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

export interface SelfMetricsSources {
  followStreams(): number;
  dedupWindowSize(): number | undefined;
}

type MetricsSdk = typeof import('@opentelemetry/sdk-metrics');
type PrometheusPkg = typeof import('@opentelemetry/exporter-prometheus');

const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Build the collector's meter provider, or say why it cannot (the optional packages are not installed). */
export function createSelfMetrics(sources: SelfMetricsSources): SelfMetrics | { unavailable: string } {
  let sdk: MetricsSdk;
  let prom: PrometheusPkg;
  try {
    const load = createRequire(import.meta.url);
    sdk = load('@opentelemetry/sdk-metrics') as MetricsSdk;
    prom = load('@opentelemetry/exporter-prometheus') as PrometheusPkg;
  } catch (err) {
    return { unavailable: `GET /metrics needs the optional packages @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus (${(err as Error).message.split('\n')[0]})` };
  }
  // No server of its own: the collector serves the exporter's handler on its own port, behind its own token.
  const exporter = new prom.PrometheusExporter({ preventServerStart: true });
  const provider = new sdk.MeterProvider({
    readers: [exporter],
    views: [
      { instrumentName: 'http.server.request.duration', aggregation: { type: sdk.AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: DURATION_BUCKETS_S } } },
      { instrumentName: 'product_telemetry.collector.store.duration', aggregation: { type: sdk.AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: DURATION_BUCKETS_S } } },
    ],
  } as ConstructorParameters<MetricsSdk['MeterProvider']>[0]);
  const meter = provider.getMeter('otel-product-telemetry-collector');
  const requests = meter.createHistogram('http.server.request.duration', { unit: 's', description: 'Duration of HTTP server requests.' });
  const events = meter.createCounter('product_telemetry.collector.events', { description: 'Events the collector took: stored, duplicate (stored before) or refused (by reason).' });
  const storeDuration = meter.createHistogram('product_telemetry.collector.store.duration', { unit: 's', description: 'Duration of one store append (one request\'s events).' });
  meter.createObservableGauge('product_telemetry.collector.follow_streams', { description: 'Open follow streams of the events route.' }).addCallback((r) => r.observe(sources.followStreams()));
  meter.createObservableGauge('product_telemetry.collector.dedup_window.size', { description: 'Event ids held by the store\'s de-duplication window.' }).addCallback((r) => {
    const n = sources.dedupWindowSize();
    if (n !== undefined) r.observe(n);
  });
  const STORED = { outcome: 'stored' };
  const DUPLICATE = { outcome: 'duplicate' };
  return {
    requestDone(method, route, status, seconds) {
      requests.record(seconds, { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status });
    },
    refused(reason, n) {
      if (n > 0) events.add(n, { outcome: 'refused', reason });
    },
    meter(store) {
      const append = async (batch: readonly StoreEvent[]): Promise<AppendResult> => {
        const t0 = performance.now();
        const result = await store.append(batch);
        storeDuration.record((performance.now() - t0) / 1000);
        if (result.stored > 0) events.add(result.stored, STORED);
        if (result.duplicates > 0) events.add(result.duplicates, DUPLICATE);
        for (const r of result.rejections) events.add(1, { outcome: 'refused', reason: r.code });
        return result;
      };
      // Everything but append is the store itself (methods bound to it, so private fields keep working).
      return new Proxy(store, {
        get(target, prop) {
          if (prop === 'append') return append;
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    handle(req, res) {
      exporter.getMetricsRequestHandler(req, res);
    },
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        diag.debug(`collector metrics shutdown: ${(err as Error).message}`);
      }
    },
  };
}

/** Count events refused at the edge, when the collector has metrics (a no-op without the optional packages). */
export function countRefused(metrics: SelfMetrics | { unavailable: string }, reason: string, n = 1): void {
  if (!('unavailable' in metrics)) metrics.refused(reason, n);
}
