import { diag } from '../../core/diag.js';
import type { Server } from 'node:net';
import { RequestError } from '../../core/errors.js';
import { isSafeScenario } from '../../core/scenario.js';
import { LogNotFoundError, NotRegularFileError } from '../../query/errors.js';
import { scenarioFiles } from '../../query/files.js';
import { LOG_LIMITS } from '../../query/limits.js';
import { LEVEL_CHOICES, type Level } from '../../query/level.js';
import { Output } from '../../query/output.js';
import type { LogQuery } from '../../query/query.js';
import { readLogFile } from '../../query/readFile.js';
import { jsonlSink } from '../../query/sinks.js';
import { parseTimeBound } from '../../query/time.js';
import type { Route } from '../router.js';
import { sendStoreEvents } from '../stores/clickhouse/readStoreLog.js';
import { eventStreamsOf } from './streams.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * `GET /api/v1/telemetry/{scenario}/events`: a scenario's stored lines as NDJSON, streamed in constant memory, with
 * the filters of the CLI's `logs` command as query parameters — `level`, `search`, `ignore_case`, `since`, `until`
 * (ISO 8601 or a duration ago such as `2h`), `event` (repeatable or comma-separated), `limit`, `tail`, and
 * `follow=true` (keep the response open and stream appended lines, like `tail -F`). `logs --url` reads it.
 * Lines are sent as stored; torn or invalid ones are skipped. The filtering engine is the query engine (query/), as in the CLI.
 *
 * Bounded by construction: every parameter has a maximum (LOG_LIMITS; 400 naming it beyond), `tail` holds only the
 * lines it keeps, follow streams are counted (`TELEMETRY_MAX_FOLLOW_STREAMS`, 429 + Retry-After beyond) and end after
 * `TELEMETRY_FOLLOW_MAX_MS`, a follow on a scenario with no file is a 404 like a plain read, an idle follow checks
 * the file at most once a second, and a store file that is not a regular file (symlink, FIFO, device) is refused
 * with 403 without being read or waited on.
 */
export const scenarioEventsRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry/:scenario/events',
  async handle(ctx) {
    const scenario = ctx.params.scenario!;
    if (!isSafeScenario(scenario)) {
      throw new RequestError(ErrorCode.SCENARIO, 400, `unsafe scenario name ${JSON.stringify(ctx.params.scenario!.slice(0, 80))}`, { field: 'scenario' });
    }
    const p = new URLSearchParams(ctx.query);
    const query = parseQuery(p);
    const limit = intParam(p, 'limit', 1, LOG_LIMITS.limit);
    const tail = intParam(p, 'tail', 0, LOG_LIMITS.tail);
    if (limit !== undefined && tail !== undefined) throw new RequestError(ErrorCode.QUERY, 400, 'limit and tail are exclusive', { field: 'tail' });
    const follow = boolParam(p, 'follow');
    // Other stores (ClickHouse) answer through their query, filtered by the same matcher; no follow.
    if (ctx.collector.store.kind !== 'jsonl') return sendStoreEvents(ctx, scenario, { query, limit, tail, follow });

    const { req, res } = ctx;
    const { config } = ctx.collector;
    const streams = eventStreamsOf(ctx.collector, (req.socket as { server?: Server }).server);
    if (follow && streams.followCount >= config.maxFollowStreams) {
      res.setHeader('retry-after', '5');
      throw new RequestError(ErrorCode.TOO_MANY_FOLLOWS, 429, `${streams.followCount} follow streams are open; retry later (TELEMETRY_MAX_FOLLOW_STREAMS)`, { field: 'follow' });
    }
    // Ends the read when the client goes away, the collector shuts down, or a follow stream reached its time limit.
    const stop = new AbortController();
    const release = streams.add(stop, follow);
    res.once('close', () => stop.abort());
    const deadline = follow ? setTimeout(() => stop.abort(), config.followMaxMs) : undefined;
    deadline?.unref();

    let skipped = 0;
    let path = '';
    try {
      const files = await scenarioFiles(config.dir, scenario);
      path = files.active;
      res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-content-type-options', 'nosniff');
      const out = new Output(res);
      await readLogFile(path, jsonlSink(out), {
        query,
        limit,
        tail,
        follow,
        // A scenario with neither a file nor segments is a 404 even with follow: no idle watcher for any name.
        waitForFile: files.segments.length > 0,
        pollMs: 250,
        idlePollMs: 1000,
        warn: () => void skipped++,
        drain: () => out.drain(),
        signal: stop.signal,
        before: files.segments,
      });
      await out.end();
    } catch (err) {
      if (err instanceof LogNotFoundError) throw new RequestError(ErrorCode.NOT_FOUND, 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
      if (err instanceof NotRegularFileError) {
        diag.warn(`refused to read ${err.path}: not a regular file`);
        throw new RequestError(ErrorCode.NOT_REGULAR_FILE, 403, `a store file of scenario "${scenario}" is not a regular file (a symlink, FIFO or device in the data dir); it is not read`, { field: 'scenario' });
      }
      throw err;
    } finally {
      clearTimeout(deadline);
      release();
    }
    if (skipped > 0) diag.debug(`${skipped} torn or invalid line(s) of ${path} skipped while streaming events`);
    res.end();
  },
};

function parseQuery(p: URLSearchParams): LogQuery {
  const q: LogQuery = {};
  const level = p.get('level');
  if (level !== null) {
    if (!(LEVEL_CHOICES as readonly string[]).includes(level)) throw new RequestError(ErrorCode.QUERY, 400, `level must be one of ${LEVEL_CHOICES.join(', ')}`, { field: 'level' });
    q.level = level as Level;
  }
  const search = p.get('search');
  if (search !== null && search.length > LOG_LIMITS.searchChars) throw new RequestError(ErrorCode.QUERY, 400, `search must be at most ${LOG_LIMITS.searchChars} characters`, { field: 'search' });
  if (search !== null && search !== '') q.search = search;
  q.ignoreCase = boolParam(p, 'ignore_case');
  for (const name of ['since', 'until'] as const) {
    const raw = p.get(name);
    if (raw === null) continue;
    const t = raw.length > LOG_LIMITS.timeChars ? undefined : parseTimeBound(raw);
    if (t === undefined) throw new RequestError(ErrorCode.QUERY, 400, `${name} must be an ISO 8601 time or a duration such as 2h`, { field: name });
    q[name] = t;
  }
  const raw = p.getAll('event');
  if (raw.length > LOG_LIMITS.events) throw new RequestError(ErrorCode.QUERY, 400, `event: at most ${LOG_LIMITS.events} names`, { field: 'event' });
  const events = raw.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e.length > 0);
  if (events.length > LOG_LIMITS.events) throw new RequestError(ErrorCode.QUERY, 400, `event: at most ${LOG_LIMITS.events} names`, { field: 'event' });
  if (events.some((e) => e.length > LOG_LIMITS.eventChars)) throw new RequestError(ErrorCode.QUERY, 400, `event: names of at most ${LOG_LIMITS.eventChars} characters`, { field: 'event' });
  if (events.length > 0) q.events = events;
  return q;
}

/** A whole number in [min, max]; anything else (including numbers too large to hold exactly) is a 400 naming it. */
function intParam(p: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = p.get(name);
  if (raw === null) return undefined;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new RequestError(ErrorCode.QUERY, 400, `${name} must be a whole number from ${min} to ${max}`, { field: name });
  return n;
}

function boolParam(p: URLSearchParams, name: string): boolean {
  const raw = p.get(name);
  if (raw === null || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new RequestError(ErrorCode.QUERY, 400, `${name} must be true or false`, { field: name });
}
