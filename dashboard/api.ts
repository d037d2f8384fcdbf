import type { InsightBucket, InsightsAnswer } from '../query/insights/types.js';
import { currentToken } from './token.js';

/** The JSON the collector's routes send (the wire format; the server's own types live in collector/, node code). */
export interface RecentFailure {
  timestamp: string;
  event: string;
  details?: Record<string, unknown>;
}

export interface ScenarioSummary {
  scenario: string;
  total_events: number;
  last_event: string | null;
  failure_counts: Record<string, number>;
  recent_failures: RecentFailure[];
  commands?: Record<string, number>;
  errors?: number;
  metrics?: Record<string, number>;
}

export interface SummariesAnswer {
  scenarios: ScenarioSummary[];
  total_scenarios: number;
}

/** One stored line as the events route streams it (see the README's JSONL format). */
export interface StoredLine {
  ts: string;
  scenario?: string;
  deployment_id?: string;
  installation_id?: string;
  event: string;
  level?: string;
  details?: Record<string, unknown>;
  id?: string;
}

/** No token, or the token was refused (401): the page asks for it. */
export class AuthRequiredError extends Error {
  constructor(readonly tokenSent: boolean) {
    super(tokenSent ? 'the collector refused this token' : 'the collector needs a token');
    this.name = 'AuthRequiredError';
  }
}

/** Any other refusal, with the collector's coded JSON error body when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function headers(accept: string): Headers {
  const h = new Headers({ accept });
  const token = currentToken();
  if (token !== undefined) h.set('authorization', `Bearer ${token}`);
  return h;
}

async function refusal(res: Response, tokenSent: boolean): Promise<Error> {
  if (res.status === 401) return new AuthRequiredError(tokenSent);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const b = (body ?? {}) as { code?: unknown; error?: unknown; field?: unknown };
  const message = typeof b.error === 'string' ? b.error : `HTTP ${res.status}`;
  return new ApiError(res.status, typeof b.code === 'string' ? b.code : `HTTP_${res.status}`, message, typeof b.field === 'string' ? b.field : undefined);
}

/** GET a JSON route of this collector (same origin; the token as a bearer header when one is kept). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers('application/json'), signal: signal ?? null, cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw await refusal(res, currentToken() !== undefined);
  return (await res.json()) as T;
}

/**
 * GET an NDJSON route and hand over each parsed line as it arrives (the events route, also in follow mode, where the
 * answer stays open). Resolves when the server ends the answer; rejects with an AbortError when `signal` aborts.
 */
export async function streamLines(path: string, onLine: (line: StoredLine) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headers('application/x-ndjson'), signal, cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw await refusal(res, currentToken() !== undefined);
  if (res.body === null) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    let nl: number;
    while ((nl = rest.indexOf('\n')) !== -1) {
      const text = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (text.trim() === '') continue;
      try {
        onLine(JSON.parse(text) as StoredLine);
      } catch {
        // the route sends only whole valid lines; anything else is skipped rather than stopping the view
      }
    }
  }
}

const enc = encodeURIComponent;

export const api = {
  summaries: (signal?: AbortSignal) => getJson<SummariesAnswer>('/api/v1/telemetry', signal),
  summary: (scenario: string, signal?: AbortSignal) => getJson<ScenarioSummary>(`/api/v1/telemetry/${enc(scenario)}`, signal),
  insights: (scenario: string, q: { from: string; to: string; bucket: InsightBucket; by: string; top?: number; event?: string }, signal?: AbortSignal) => {
    const p = new URLSearchParams({ from: q.from, to: q.to, bucket: q.bucket, by: q.by });
    if (q.top !== undefined) p.set('top', String(q.top));
    if (q.event !== undefined) p.set('event', q.event);
    return getJson<InsightsAnswer>(`/api/v1/telemetry/${enc(scenario)}/insights?${p.toString()}`, signal);
  },
  telemetryData: (signal?: AbortSignal) => getJson<Record<string, unknown>>('/telemetry/data', signal),
  configuration: (signal?: AbortSignal) => getJson<{ enableTelemetry: boolean }>('/telemetry/configuration', signal),
  eventsPath: (scenario: string, p: URLSearchParams) => `/api/v1/telemetry/${enc(scenario)}/events?${p.toString()}`,
};
