import { diag } from '@opentelemetry/api';
import type { Server } from 'node:net';
import { RequestError } from '../../../core/errors.js';
import { isSafeScenario } from '../../../core/scenario.js';
import { scenarioFiles } from '../../../cli/logs/files.js';
import { LogNotFoundError, readLogFile } from '../../../cli/logs/readFile.js';
import { jsonlSink } from '../../../cli/logs/format.js';
import { LEVEL_CHOICES, type Level } from '../../../cli/logs/level.js';
import type { LogQuery } from '../../../cli/logs/query.js';
import { parseTimeBound } from '../../../cli/logs/time.js';
import { Output } from '../../../cli/output.js';
import type { Route } from '../router.js';
import { sendStoreEvents } from '../store/clickhouse/readStoreLog.js';

/**
 * `GET /api/v1/telemetry/{scenario}/events`: a scenario's stored lines as NDJSON, streamed in constant memory, with
 * the filters of the CLI's `logs` command as query parameters — `level`, `search`, `ignore_case`, `since`, `until`
 * (ISO 8601 or a duration ago such as `2h`), `event` (repeatable or comma-separated), `limit`, `tail`, and
 * `follow=true` (keep the response open and stream appended lines, like `tail -F`). `logs --url` reads it.
 * Lines are sent as stored; torn or invalid ones are skipped. The filtering engine is the CLI's (cli/logs/).
 */
export const scenarioEventsRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry/:scenario/events',
  async handle(ctx) {
    const scenario = ctx.params.scenario!;
    if (!isSafeScenario(scenario)) {
      throw new RequestError('OPT_ERR_SCENARIO', 400, `unsafe scenario name ${JSON.stringify(ctx.params.scenario!.slice(0, 80))}`, { field: 'scenario' });
    }
    const p = new URLSearchParams(ctx.query);
    const query = parseQuery(p);
    const limit = intParam(p, 'limit', 1);
    const tail = intParam(p, 'tail', 0);
    if (limit !== undefined && tail !== undefined) throw new RequestError('OPT_ERR_QUERY', 400, 'limit and tail are exclusive', { field: 'tail' });
    const follow = boolParam(p, 'follow');
    // Other stores (ClickHouse) answer through their query, filtered by the same matcher; no follow.
    if (ctx.collector.store.kind !== 'jsonl') return sendStoreEvents(ctx, scenario, { query, limit, tail, follow });

    // Ends a follow stream when the client goes away or the collector stops listening (it is shutting down).
    const stop = new AbortController();
    const { req, res } = ctx;
    res.once('close', () => stop.abort());
    const server = (req.socket as { server?: Server }).server;
    const watch = setInterval(() => {
      if (server !== undefined && !server.listening) stop.abort();
    }, 200);
    watch.unref();

    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    const out = new Output(res);
    let skipped = 0;
    const { active: path, segments } = await scenarioFiles(ctx.collector.config.dir, scenario);
    try {
      await readLogFile(path, jsonlSink(out), {
        query,
        limit,
        tail,
        follow,
        warn: () => void skipped++,
        drain: () => out.drain(),
        signal: stop.signal,
        before: segments,
      });
    } catch (err) {
      if (err instanceof LogNotFoundError) throw new RequestError('OPT_ERR_NOT_FOUND', 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
      throw err;
    } finally {
      clearInterval(watch);
    }
    if (skipped > 0) diag.debug(`otel-product-telemetry: ${skipped} torn or invalid line(s) of ${path} skipped while streaming events`);
    await out.end();
    res.end();
  },
};

function parseQuery(p: URLSearchParams): LogQuery {
  const q: LogQuery = {};
  const level = p.get('level');
  if (level !== null) {
    if (!(LEVEL_CHOICES as readonly string[]).includes(level)) throw new RequestError('OPT_ERR_QUERY', 400, `level must be one of ${LEVEL_CHOICES.join(', ')}`, { field: 'level' });
    q.level = level as Level;
  }
  const search = p.get('search');
  if (search !== null && search !== '') q.search = search;
  q.ignoreCase = boolParam(p, 'ignore_case');
  for (const name of ['since', 'until'] as const) {
    const raw = p.get(name);
    if (raw === null) continue;
    const t = parseTimeBound(raw);
    if (t === undefined) throw new RequestError('OPT_ERR_QUERY', 400, `${name} must be an ISO 8601 time or a duration such as 2h`, { field: name });
    q[name] = t;
  }
  const events = p.getAll('event').flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e.length > 0);
  if (events.length > 0) q.events = events;
  return q;
}

function intParam(p: URLSearchParams, name: string, min: number): number | undefined {
  const raw = p.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min) throw new RequestError('OPT_ERR_QUERY', 400, `${name} must be a whole number of at least ${min}`, { field: name });
  return Number(raw);
}

function boolParam(p: URLSearchParams, name: string): boolean {
  const raw = p.get(name);
  if (raw === null || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new RequestError('OPT_ERR_QUERY', 400, `${name} must be true or false`, { field: name });
}
