/**
 * Trace-usage amplification bench (issue 15 item 2): fill a collector's trace usage with new command names over
 * ordinary `POST /v1/traces` requests (default 500 requests x 1000 scenarios x 1 new 128-character name), then time
 * a 1-span request and `GET /api/v1/telemetry`, and report the state file size and RSS growth.
 *   node --import tsx bench/traceUsageFill.ts [requests=500] [scenarios=1000]
 * Bounded: one collector on 127.0.0.1:0 in a fresh temp dir, removed at the end.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '../collector/index.js';

const requests = Number(process.argv[2] ?? 500);
const scenarios = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'trace-fill-'));

function body(i: number, n: number): string {
  const resourceSpans = [];
  for (let s = 0; s < n; s++) {
    const name = `cmd-${String(i).padStart(6, '0')}-`.padEnd(128, 'x');
    resourceSpans.push({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${s}` } }] },
      scopeSpans: [{ spans: [{ traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', name, kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
    });
  }
  return JSON.stringify({ resourceSpans });
}

const c = await startCollector({ port: 0, host: '127.0.0.1', dir, env: {}, maxBodyBytes: 64 * 1024 * 1024 });
const post = (b: string): Promise<Response> => fetch(`${c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
let refusedAnswers = 0;
for (let i = 0; i < requests; i++) {
  const r = await post(body(i, scenarios));
  const j = (await r.json()) as { partialSuccess?: unknown };
  if (j.partialSuccess !== undefined) refusedAnswers++;
}
const fillMs = performance.now() - t0;
const one: number[] = [];
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  await (await post(body(requests + k, 1))).text();
  one.push(performance.now() - t);
}
const ts = performance.now();
const summary = await (await fetch(`${c.url}/api/v1/telemetry`)).text();
const summaryMs = performance.now() - ts;
await c.close();
let fileBytes = 0;
try {
  fileBytes = statSync(join(dir, 'trace-usage.json')).size;
} catch {
  // none
}
console.log(JSON.stringify({
  requests,
  scenarios,
  fill_s: +(fillMs / 1000).toFixed(1),
  answers_with_partialSuccess: refusedAnswers,
  one_span_ms: one.map((x) => Math.round(x)),
  summary_ms: Math.round(summaryMs),
  summary_bytes: summary.length,
  state_file_bytes: fileBytes,
  rss_growth_mib: Math.round((process.memoryUsage().rss - rss0) / 1048576),
}));
rmSync(dir, { recursive: true, force: true });
