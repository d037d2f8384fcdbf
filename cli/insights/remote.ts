import type { InsightsAnswer, InsightsQuery } from '../../query/insights/types.js';
import { CliError, InterruptedError } from '../errors.js';

/**
 * `insights --url`: ask a running collector, `GET {url}/api/v1/telemetry/{scenario}/insights`. The query was parsed
 * and checked here first (the same parser as the route's), and its times go as absolute ISO times, so a relative
 * `--since 7d` means the same range in both modes. The token goes as a bearer header, never in the URL. `signal`
 * (SIGINT/SIGTERM) abandons the request: InterruptedError.
 */
export async function remoteInsights(baseUrl: string, query: InsightsQuery, token: string | undefined, signal?: AbortSignal): Promise<InsightsAnswer> {
  const params = new URLSearchParams({
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    bucket: query.bucket,
    by: query.by,
    top: String(query.top),
  });
  if (query.event !== undefined) params.set('event', query.event);
  const url = `${baseUrl}/api/v1/telemetry/${encodeURIComponent(query.scenario)}/insights?${params}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal });
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw new CliError(`cannot reach the collector at ${baseUrl}: ${e.cause?.code ?? e.cause?.message ?? e.message}`, { cause: err });
  }
  const text = await res.text().catch(() => '');
  if (signal?.aborted) throw new InterruptedError();
  if (res.status === 401) throw new CliError(`the collector at ${baseUrl} answered 401 Unauthorized: pass --token or set TELEMETRY_AUTH_TOKEN`);
  if (res.status === 404) throw new CliError(`the collector at ${baseUrl} has no events for scenario "${query.scenario}"${errorText(text)}`);
  if (!res.ok) throw new CliError(`the collector at ${baseUrl} answered ${res.status}${errorText(text)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`the collector at ${baseUrl} sent something that is not JSON: ${text.slice(0, 120)}`);
  }
  if (!isAnswer(body)) throw new CliError(`the collector at ${baseUrl} sent JSON that is not an insights answer (an older collector without the insights route?)`);
  return body;
}

/** The collector's error body (`{"error": ..., "code": ..., "field": ...}`) as the tail of a message. */
function errorText(text: string): string {
  try {
    const e = JSON.parse(text) as { error?: unknown; message?: unknown };
    const message = typeof e.error === 'string' ? e.error : typeof e.message === 'string' ? e.message : undefined;
    if (message !== undefined) return `: ${message.slice(0, 300)}`;
  } catch {
    // not JSON: the text itself
  }
  const t = text.trim().slice(0, 300);
  return t === '' ? '' : `: ${t}`;
}

/** Enough of the shape for the renderers to rely on (they read groups, totals and buckets). */
function isAnswer(v: unknown): v is InsightsAnswer {
  if (v === null || typeof v !== 'object') return false;
  const a = v as Partial<Record<keyof InsightsAnswer, unknown>>;
  return (
    Array.isArray(a.groups) &&
    a.groups.every((g) => typeof g === 'string') &&
    Array.isArray(a.buckets) &&
    a.buckets.every((b: unknown) => b !== null && typeof b === 'object' && typeof (b as { start?: unknown }).start === 'string' && typeof (b as { counts?: unknown }).counts === 'object') &&
    a.totals !== null &&
    typeof a.totals === 'object' &&
    typeof a.total_events === 'number' &&
    typeof a.failures === 'number' &&
    a.installations !== null &&
    typeof a.installations === 'object'
  );
}
