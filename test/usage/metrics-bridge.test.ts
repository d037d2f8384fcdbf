import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { AggregationTemporalityPreference, OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { otlpRoot } from '../../collector/index.js';
import { ExportMetricsServiceResponse } from '../../collector/usage/metricsProtobuf.js';
import { TRACE_USAGE_FILE } from '../../collector/usage/TraceUsageBook.js';
import { collector, request, stop } from '../server/setup.js';

const problems: string[] = [];
const capture: DiagLogger = {
  error: (...a: unknown[]) => problems.push(a.join(' ')),
  warn: (...a: unknown[]) => problems.push(a.join(' ')),
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

afterEach(() => {
  diag.disable();
  problems.length = 0;
});

type Make = (url: string, delta: boolean) => PushMetricExporter;
const exporters: [string, Make][] = [
  ['OTLP/HTTP JSON', (url, delta) => new OTLPJsonMetricExporter({ url, ...(delta && { temporalityPreference: AggregationTemporalityPreference.DELTA }) })],
  ['OTLP/HTTP protobuf', (url, delta) => new OTLPProtoMetricExporter({ url, ...(delta && { temporalityPreference: AggregationTemporalityPreference.DELTA }) })],
];

/** A real MeterProvider exporting through a PeriodicExportingMetricReader; exports happen on forceFlush. */
function meterProvider(exporter: PushMetricExporter, attributes: Record<string, string> = { 'service.name': 'metrics-svc' }) {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ ...attributes, 'host.name': 'secret-host' }), readers: [reader] });
  return provider;
}

async function summary(url: string, scenario: string): Promise<Record<string, unknown>> {
  const answer = await request(`${url}/api/v1/telemetry/${scenario}`);
  expect(answer.status).toBe(200);
  return answer.body as Record<string, unknown>;
}

describe('POST /v1/metrics: OTLP counters become the scenario\'s usage metrics', () => {
  for (const [name, make] of exporters) {
    for (const delta of [false, true]) {
      it(`${name}, ${delta ? 'delta' : 'cumulative'} temporality: counters counted once across exports, the rest acknowledged, no export errors`, async () => {
        diag.setLogger(capture, DiagLogLevel.WARN);
        const c = await collector({ traceUsageSaveIntervalMs: 10 });
        const provider = meterProvider(make(`${c.url}/v1/metrics`, delta));
        const meter = provider.getMeter('shop');
        const orders = meter.createCounter('orders');
        const bytes = meter.createCounter('bytes.sent');
        const latency = meter.createHistogram('latency');
        const queue = meter.createUpDownCounter('queue.depth');
        const gauge = meter.createGauge('temperature');
        meter.createObservableGauge('heap').addCallback((r) => r.observe(42));

        orders.add(3, { route: '/a' });
        orders.add(1, { route: '/b' });
        bytes.add(1.5);
        latency.record(12);
        queue.add(5);
        gauge.record(20);
        await provider.forceFlush();
        expect((await summary(c.url, 'metrics-svc')).metrics).toEqual({ 'bytes.sent': 1.5, orders: 4 });

        orders.add(2, { route: '/a' });
        bytes.add(2.25);
        latency.record(7);
        await provider.forceFlush();
        // A third export with nothing new (cumulative exporters send the same totals again).
        await provider.forceFlush();
        await provider.shutdown();

        const s = await summary(c.url, 'metrics-svc');
        expect(s).toMatchObject({ scenario: 'metrics-svc', total_events: 0, commands: {}, errors: 0, metrics: { 'bytes.sent': 3.75, orders: 6 } });
        expect(Object.keys(s.metrics as object)).toEqual(['bytes.sent', 'orders']); // gauges, histograms, up-down counters not counted
        expect(problems).toEqual([]);
        // What is kept on disk: counts and hashed series ids, nothing of the resource.
        const file = await vi.waitFor(() => readFileSync(join(c.dir, TRACE_USAGE_FILE), 'utf8'));
        expect(file).not.toContain('secret-host');
        expect(file).not.toContain(hostname());
        expect(file).not.toContain('/a');
      });
    }
  }

  it('cumulative totals are not counted again after a collector restart; a sender restart (new start time) counts in full', async () => {
    diag.setLogger(capture, DiagLogLevel.WARN);
    const first = await collector();
    const dir = first.dir;
    const provider = meterProvider(new OTLPJsonMetricExporter({ url: `${first.url}/v1/metrics` }), { 'service.name': 'restart-svc' });
    const counter = provider.getMeter('m').createCounter('jobs');
    counter.add(10);
    await provider.forceFlush();
    await provider.shutdown(); // exports the same total once more: nothing new
    await stop(first);

    const second = await collector({ dir });
    const again = meterProvider(new OTLPJsonMetricExporter({ url: `${second.url}/v1/metrics` }), { 'service.name': 'restart-svc' });
    const counter2 = again.getMeter('m').createCounter('jobs');
    counter2.add(4);
    await again.forceFlush(); // a new MeterProvider: a new start time, so its 4 count in full
    counter2.add(1);
    await again.forceFlush();
    await again.shutdown();
    expect((await summary(second.url, 'restart-svc')).metrics).toEqual({ jobs: 15 });
  });

  it('a cumulative series re-sent to a restarted collector adds only the growth (persisted last value)', async () => {
    const first = await collector();
    const dir = first.dir;
    const body = (value: number) => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'telemetry.scenario', value: { stringValue: 'legacy-key-svc' } }] },
          scopeMetrics: [{ metrics: [{ name: 'runs', sum: { isMonotonic: true, aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', dataPoints: [{ startTimeUnixNano: '1700000000000000000', timeUnixNano: '1700000001000000000', asInt: String(value) }] } }] }],
        },
      ],
    });
    expect((await request(`${first.url}/v1/metrics`, { json: body(7) })).body).toEqual({});
    await stop(first);
    const second = await collector({ dir });
    expect((await request(`${second.url}/v1/metrics`, { json: body(9) })).body).toEqual({});
    expect((await request(`${second.url}/v1/metrics`, { json: body(9) })).body).toEqual({});
    // The older scenario key on the resource is accepted.
    expect((await summary(second.url, 'legacy-key-svc')).metrics).toEqual({ runs: 9 });
    // A smaller value means the series restarted: counted in full.
    await request(`${second.url}/v1/metrics`, { json: body(2) });
    expect((await summary(second.url, 'legacy-key-svc')).metrics).toEqual({ runs: 11 });
  });

  it('refused counter points are reported in partialSuccess; the valid ones in the same request count', async () => {
    const c = await collector();
    const point = (v: Record<string, unknown>) => ({ timeUnixNano: '1700000001000000000', ...v });
    const answer = await request(`${c.url}/v1/metrics`, {
      json: {
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'product_telemetry.scenario', value: { stringValue: 'partial-svc' } }] },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'good', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [point({ asInt: '5' }), point({ asDouble: 0.5 })] } },
                  { name: 'bad', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [point({ asInt: '-3' }), point({ asDouble: 'NaN' }), point({})] } },
                  { name: '', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [point({ asInt: '1' })] } },
                  { name: 'x'.repeat(129), sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [point({ asInt: '1' })] } },
                  { name: 'no-temporality', sum: { isMonotonic: true, dataPoints: [point({ asInt: '1' })] } },
                  { name: 'updown', sum: { isMonotonic: false, aggregationTemporality: 2, dataPoints: [point({ asInt: '-1' })] } },
                  { name: 'g', gauge: { dataPoints: [point({ asDouble: 1 })] } },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.partialSuccess.rejectedDataPoints).toBe(6);
    expect(answer.body.partialSuccess.errorMessage).toMatch(/6 data point\(s\) not counted: .*finite number >= 0.*128 characters.*delta or cumulative/);
    expect((await summary(c.url, 'partial-svc')).metrics).toEqual({ good: 5.5 });
  });

  it('malformed bodies get the coded 400 (google.rpc.Status, JSON or protobuf); too many points 413', async () => {
    const c = await collector({ maxEventsPerRequest: 3 });
    const json = await request(`${c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceMetrics":[{' });
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ code: 3, message: expect.stringMatching(/^OPT_ERR_PARSE: /) });
    const notObject = await request(`${c.url}/v1/metrics`, { json: [1, 2] });
    expect(notObject.status).toBe(400);
    expect(notObject.body.message).toMatch(/^OPT_ERR_VALIDATION: .*resourceMetrics/);

    const res = await fetch(`${c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from('/////////////wE=', 'base64') });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/x-protobuf');
    const status = otlpRoot.lookupType('google.rpc.Status').decode(new Uint8Array(await res.arrayBuffer())) as unknown as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^OPT_ERR_PARSE: invalid OTLP protobuf/);

    const many = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [{ asInt: '1' }, { asInt: '1' }, { asInt: '1' }, { asInt: '1' }] } }] }] }] };
    const tooMany = await request(`${c.url}/v1/metrics`, { json: many });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.message).toMatch(/^OPT_ERR_TOO_MANY_EVENTS/);
    const wrongType = await request(`${c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(wrongType.status).toBe(415);

    // An empty protobuf request is a valid export of nothing: an empty ExportMetricsServiceResponse.
    const empty = await fetch(`${c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0) });
    expect(empty.status).toBe(200);
    expect(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(new Uint8Array(await empty.arrayBuffer())))).toEqual({});
  });
});
