import type { PostResponse } from './transport.js';

/** An event of the batch the endpoint refused in its 2xx answer (`errors[]`), by its position in the batch. */
export interface RefusedEvent {
  /** 0-based position in the batch sent. */
  readonly at: number;
  /** The endpoint's reason, as one short line. */
  readonly reason: string;
}

/** What a collector's upload answer says about a batch, once checked. */
export interface UploadAnswer {
  readonly received: number;
  readonly stored: number;
  readonly duplicate: number;
  /** Events refused one by one: distinct, in range, in batch order. */
  readonly refused: readonly RefusedEvent[];
  /** Refused events the answer counts but does not list (`errors_omitted`). */
  readonly omitted: number;
}

export type AnswerCheck = { ok: true; answer: UploadAnswer } | { ok: false; problem: string };

/** Longest excerpt of an answer's body quoted in a diag message. */
const EXCERPT_CHARS = 80;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Check a 2xx answer against the collector's upload contract (README "Collector server", routes/upload.ts):
 * `Content-Type: application/json` and a body `{"status":"accepted","events_received":N,"events_stored":M,
 * "events_duplicate"?:D,"errors"?:[{"index":i,...}],"errors_omitted"?:K}` where N is the number of events sent and
 * M + D + (listed errors) + K = N. Only such an answer means the endpoint has the events; anything else (a captive
 * portal's page, an empty 204, JSON of another shape, counts for another batch) says nothing about them.
 *
 * Error indexes are the array position (JSON) or the 1-based line number (NDJSON); one that is not an integer in
 * range, or that repeats, is ignored (it names no event of the batch, or one already counted).
 */
export function checkAnswer(response: PostResponse, sent: number, format: 'json' | 'ndjson', secrets: readonly (string | undefined)[] = []): AnswerCheck {
  const fail = (problem: string): AnswerCheck => ({ ok: false, problem });
  const type = headerOf(response.headers['content-type']);
  const media = type.split(';')[0]!.trim().toLowerCase();
  if (response.body.length === 0) return fail(`an empty body, where the upload answer should say what was stored`);
  if (media !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(media)) {
    return fail(`Content-Type "${clip(type, 60) || 'none'}", not application/json (a proxy or captive portal?): ${excerpt(response.body, secrets)}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(response.body);
  } catch {
    return fail(`a body that is not JSON: ${excerpt(response.body, secrets)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(`JSON that is not an upload answer object: ${excerpt(response.body, secrets)}`);
  const a = v as Record<string, unknown>;
  if (a.status !== 'accepted') return fail(`JSON without "status":"accepted": ${excerpt(response.body, secrets)}`);
  const received = a.events_received;
  const stored = a.events_stored;
  if (!isCount(received) || !isCount(stored)) return fail(`an answer without counts (events_received, events_stored): ${excerpt(response.body, secrets)}`);
  const duplicate = a.events_duplicate ?? 0;
  const omitted = a.errors_omitted ?? 0;
  if (!isCount(duplicate)) return fail('events_duplicate is not a count');
  if (!isCount(omitted)) return fail('errors_omitted is not a count');
  const errors = a.errors ?? [];
  if (!Array.isArray(errors)) return fail('errors is not a list');
  if (received !== sent) return fail(`events_received ${received} for ${sent} events sent`);
  const seen = new Set<number>();
  const refused: RefusedEvent[] = [];
  for (const e of errors as unknown[]) {
    if (e === null || typeof e !== 'object') continue;
    const { index, error, code } = e as { index?: unknown; error?: unknown; code?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index)) continue;
    const at = format === 'json' ? index : index - 1; // NDJSON errors name 1-based line numbers
    if (at < 0 || at >= sent || seen.has(at)) continue;
    seen.add(at);
    const why = [typeof code === 'string' ? code : '', typeof error === 'string' ? error : ''].filter(Boolean).join(': ');
    refused.push({ at, reason: clip(why || 'refused (no reason given)', 1000) });
  }
  const accounted = stored + duplicate + refused.length + omitted;
  if (accounted !== received) {
    return fail(`counts do not add up: events_stored ${stored} + events_duplicate ${duplicate} + ${refused.length} listed error(s) + errors_omitted ${omitted} = ${accounted}, not events_received ${received}`);
  }
  refused.sort((x, y) => x.at - y.at);
  return { ok: true, answer: { received, stored, duplicate, refused, omitted } };
}

function headerOf(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function clip(text: string, max: number): string {
  const t = text.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** The start of a body, fit for a diag line: printable ASCII only, short, with our secrets blanked out. */
function excerpt(body: string, secrets: readonly (string | undefined)[] = []): string {
  let t = body;
  for (const s of secrets) if (s) t = t.split(s).join('***');
  t = clip(t.slice(0, 4 * EXCERPT_CHARS), EXCERPT_CHARS);
  return t.length > 0 ? JSON.stringify(t) : '(no body)';
}
