import { countRefused } from '../metrics/selfMetrics.js';
import { findInexactNumbers, fieldOf, inexactMessage, type InexactNumber } from '../ingest/numbers.js';
import { mapLogsRequest } from '../otlp/mapLogs.js';
import { ExportLogsServiceRequest, ExportLogsServiceResponse } from '../otlp/protobuf.js';
import { otlpRoute } from '../otlp/route.js';
import type { Route } from '../router.js';
import { eventLimits } from '../ingest/ingest.js';
import { ErrorCode } from '../../core/errorCodes.js';

const NANOS_KEY = /UnixNano$|_unix_nano$/;

/**
 * Take out each log record holding a number JSON.parse could not carry exactly; returns why, one reason per record
 * (the route counts them rejected). Nanosecond times are exempt from the 2^53 rule (they are stored in ms).
 * Numbers outside records are not stored and left alone.
 */
function takeInexactRecords(request: unknown, found: InexactNumber[]): string[] {
  const refused = new Map<unknown[], Map<number, string>>();
  for (const n of found) {
    const p = n.path;
    if (p.length < 7 || typeof p[1] !== 'number' || typeof p[3] !== 'number' || typeof p[5] !== 'number') continue;
    const last = p[p.length - 1];
    if (typeof last === 'string' && NANOS_KEY.test(last) && n.reason.startsWith('an integer')) continue;
    const records = at(at(at(at(at(request, p[0]!), p[1]), p[2]!), p[3]), p[4]!);
    if (!Array.isArray(records)) continue;
    let byIndex = refused.get(records);
    if (byIndex === undefined) refused.set(records, (byIndex = new Map()));
    if (!byIndex.has(p[5])) byIndex.set(p[5], `${fieldOf(['logRecord', ...p.slice(6)])}: ${inexactMessage(n)}`);
  }
  const reasons: string[] = [];
  for (const [records, byIndex] of refused) {
    for (const i of [...byIndex.keys()].sort((x, y) => y - x)) records.splice(i, 1);
    reasons.push(...byIndex.values());
  }
  return reasons;
}

function at(v: unknown, key: string | number): unknown {
  return v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string | number, unknown>)[key] : undefined;
}


/**
 * `POST /v1/logs`: OTLP/HTTP logs in JSON or protobuf (what `@opentelemetry/exporter-logs-otlp-http` and `-proto`
 * send), mapped to telemetry events (otlp/mapLogs.ts) and stored through the same store and pipeline as uploads.
 * Answers per the OTLP spec: 200 with an ExportLogsServiceResponse in the request's encoding, carrying
 * `partialSuccess` when records were rejected (count and the first reasons) or were app logs only counted
 * (a warning: `rejectedLogRecords` 0 with a message); errors as google.rpc.Status with the HTTP status.
 */
export const otlpLogsRoute: Route = otlpRoute('/v1/logs', { request: ExportLogsServiceRequest, response: ExportLogsServiceResponse }, async (ctx, request, jsonText) => {
  const { collector } = ctx;
  const config = collector.config;
  const inexact = jsonText === undefined ? [] : takeInexactRecords(request, findInexactNumbers(jsonText, request, 1000, NANOS_KEY));
  const now = Date.now();
  const mapped = mapLogsRequest(request, {
    defaultScenario: config.scenario,
    limits: eventLimits(ctx),
    now,
    storeAppLogs: config.otlpStoreLogs,
    maxRecords: config.maxEventsPerRequest,
  });
  if (inexact.length > 0) {
    mapped.rejected += inexact.length;
    mapped.reasons = [...inexact, ...mapped.reasons].slice(0, 5);
  }
  const stats = collector.stats;
  stats.eventsReceived += mapped.events.length + mapped.rejected;
  stats.otlpAppLogs += mapped.appLogs;
  countRefused(collector.metrics, ErrorCode.OTLP_RECORD, mapped.rejected);
  const result = mapped.events.length > 0 ? await collector.store.append(mapped.events) : { stored: 0, duplicates: 0, dropped: 0, rejections: [] };
  stats.eventsStored += result.stored;
  stats.duplicates += result.duplicates;
  const rejected = mapped.rejected + result.dropped;
  stats.rejected += rejected;
  const reasons = [...mapped.reasons, ...result.rejections.slice(0, 5).map((r) => r.error)].slice(0, 5);
  let message = '';
  if (rejected > 0) message = `${rejected} log record(s) rejected: ${reasons.join('; ')}`;
  const appLogsStored = config.otlpStoreLogs;
  if (mapped.appLogs > 0 && !appLogsStored) {
    message += `${message ? '; ' : ''}${mapped.appLogs} log record(s) without an event name counted as app logs, not stored (TELEMETRY_OTLP_STORE_LOGS=true stores them)`;
  }
  return message ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } } : {};
});
