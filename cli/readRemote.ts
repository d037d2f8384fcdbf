import { Matcher, type MatchOptions, type MatchResult } from '../query/matcher.js';
import { queryToParams } from '../query/query.js';
import type { EntrySink } from '../query/sinks.js';
import { CliError } from './errors.js';

export interface ReadRemoteOptions extends MatchOptions {
  follow?: boolean;
  token?: string;
  drain: () => Promise<void>;
  signal?: AbortSignal;
}

/**
 * `logs --url`: stream `GET {url}/api/v1/telemetry/{scenario}/events` (NDJSON) from a running collector. The filters
 * go to the server as query parameters and are applied again here, so the result is right even from a collector
 * that only streams the file. With follow, the server sends the tail and keeps the response open.
 */
export async function readRemoteLog(baseUrl: string, scenario: string, sink: EntrySink, options: ReadRemoteOptions): Promise<MatchResult> {
  const params = queryToParams(options.query);
  if (options.limit !== undefined) params.set('limit', String(options.limit));
  if (options.tail !== undefined) params.set('tail', String(options.tail));
  if (options.follow) params.set('follow', 'true');
  const url = `${baseUrl}/api/v1/telemetry/${encodeURIComponent(scenario)}/events?${params}`;
  const abort = new AbortController();
  const onStop = (): void => abort.abort();
  options.signal?.addEventListener('abort', onStop, { once: true });
  // In follow mode the server already cut the history to `tail` and the stream never ends: hold nothing back here.
  const matcher = new Matcher(() => `${url} response line`, sink, { ...options, tail: options.follow ? undefined : options.tail });
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/x-ndjson', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) }, signal: abort.signal });
    } catch (err) {
      if (options.signal?.aborted) {
        sink.end();
        return matcher.result;
      }
      throw new CliError(`cannot reach the collector at ${baseUrl}: ${describe(err)}`, { cause: err });
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300).trim();
      if (res.status === 401) throw new CliError(`the collector at ${baseUrl} answered 401 Unauthorized: pass --token or set TELEMETRY_AUTH_TOKEN`);
      if (res.status === 404) throw new CliError(`the collector at ${baseUrl} has no events for scenario "${scenario}"${body ? `: ${body}` : ''}`);
      throw new CliError(`the collector at ${baseUrl} answered ${res.status}${body ? `: ${body}` : ''}`);
    }
    if (res.body === null) throw new CliError(`the collector at ${baseUrl} sent no body`);
    try {
      for await (const chunk of res.body) {
        matcher.scanner.feed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (matcher.done) break;
        if (options.follow) sink.flush();
        await options.drain();
      }
    } catch (err) {
      if (!options.signal?.aborted && !matcher.done) throw new CliError(`reading from the collector at ${baseUrl} failed: ${describe(err)}`, { cause: err });
    }
    if (options.follow && !matcher.done && !options.signal?.aborted) options.warn(`the collector at ${baseUrl} ended the stream (it is shutting down?)`);
    if (!matcher.done && !options.signal?.aborted) matcher.scanner.end();
    matcher.releaseTail();
    sink.end();
    return matcher.result;
  } finally {
    abort.abort();
    options.signal?.removeEventListener('abort', onStop);
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
