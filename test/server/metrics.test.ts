import { afterEach, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { collector, stop, upload } from './setup.js';
import type { Collector } from '../../collector/index.js';

// GET /metrics: the collector's own telemetry, made by the OTel metrics SDK and its Prometheus exporter.
const open: Collector[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await stop(c);
});

async function scrape(c: Collector, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const r = await fetch(`${c.url}/metrics`, { headers });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

/** The value of one Prometheus sample whose name and labels include the given ones. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics (Prometheus text, OTel metrics SDK)', () => {
  it('counts requests by route and status, events stored/duplicate/refused by reason, store latency, follow streams and the dedupe window', async () => {
    const c = await collector();
    open.push(c);
    expect((await upload(c, [{ scenario: 's', event: 'a', id: 'id-1' }, { scenario: 's', event: 'b', id: 'id-2' }])).status).toBe(200);
    expect((await upload(c, [{ scenario: 's', event: 'a', id: 'id-1' }, { scenario: 's', event: '' }])).status).toBe(200);
    expect((await fetch(`${c.url}/api/v1/telemetry/nope`)).status).toBe(404);
    // One follow stream held open while scraping.
    const follow = await new Promise<import('node:http').ClientRequest>((resolve) => {
      const req = httpRequest(`${c.url}/api/v1/telemetry/s/events?follow=true&tail=1`, (res) => {
        res.once('data', () => resolve(req));
      });
      req.end();
    });
    const m = await scrape(c);
    follow.destroy();
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain/);
    expect(sample(m.text, 'http_server_request_duration_count', { http_route: '/api/v1/telemetry/upload', http_response_status_code: '200', http_request_method: 'POST' })).toBe(2);
    expect(sample(m.text, 'http_server_request_duration_count', { http_route: '/api/v1/telemetry/:scenario', http_response_status_code: '404' })).toBe(1);
    expect(sample(m.text, 'product_telemetry_collector_events_total', { outcome: 'stored' })).toBe(2);
    expect(sample(m.text, 'product_telemetry_collector_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(sample(m.text, 'product_telemetry_collector_events_total', { outcome: 'refused', reason: 'OPT_ERR_VALIDATION' })).toBe(1);
    expect(sample(m.text, 'product_telemetry_collector_store_duration_count')).toBe(2);
    expect(sample(m.text, 'product_telemetry_collector_follow_streams')).toBe(1);
    expect(sample(m.text, 'product_telemetry_collector_dedup_window_size')).toBe(2);
  });

  it('is behind the token like every route but the health checks', async () => {
    const c = await collector({ authToken: 'metrics-token-1234567890' });
    open.push(c);
    expect((await scrape(c)).status).toBe(401);
    const ok = await scrape(c, { authorization: 'Bearer metrics-token-1234567890' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('target_info');
  });
});
