import type { FileHandle } from 'node:fs/promises';
import { ID_PATTERN } from '../../core/id.js';
import { parseJsonObject } from '../../core/storedLine.js';

/** One line of a batch: its place in the file and the JSON text to send (without the newline). */
export interface BatchLine {
  /** File offset of the first byte of the line. */
  readonly start: number;
  /** File offset just after the line's newline. */
  readonly end: number;
  /** The JSON object text to send: the stored bytes, or a rewrite that adds a missing `id` / `scenario`. */
  readonly json: Buffer;
  /** Fully parsed (true), or only recognised as a line of our own serialiser by its shape (false). */
  readonly parsed: boolean;
}

/** A line that cannot be sent (not a JSON object): it is quarantined locally, never sent. */
export interface InvalidLine {
  readonly start: number;
  readonly end: number;
  readonly raw: Buffer;
  readonly reason: string;
}

export type ReadResult =
  /** Lines from `start` up to `end` (a line boundary): the valid ones to send and the invalid ones to set aside. */
  | { kind: 'batch'; start: number; end: number; lines: BatchLine[]; invalid: InvalidLine[] }
  /** No complete line yet after `start` (the writer is mid-line, or a torn tail waits for its repair). */
  | { kind: 'incomplete' }
  /** The line at `start` is longer than a whole request may be. */
  | { kind: 'oversize'; start: number };

export interface ReadLimits {
  /** Largest request body (uncompressed); the batch's JSON array and NDJSON forms both fit. */
  maxBytes: number;
  maxCount: number;
  /** Scenario filled into lines that have none (the file's own scenario), if any. */
  scenario: string | undefined;
  /** Prefix of ids made for lines without one: stable per file, so a resent line keeps its id. */
  idPrefix: string;
}

/**
 * Read the next batch of whole lines of a store file from `start`, at most `limits.maxBytes` of request body and
 * `limits.maxCount` events. Every line is checked to be a JSON object (the endpoint rejects a JSON array batch whole
 * for one bad element). A line without an `id` gets one derived from the file and the line's offset, so resending it
 * after a lost acknowledgement is still de-duplicated by the endpoint; a line without `scenario` gets the file's.
 */
export async function readBatch(fh: FileHandle, start: number, available: number, limits: ReadLimits): Promise<ReadResult> {
  const want = Math.min(available - start, limits.maxBytes);
  if (want <= 0) return { kind: 'incomplete' };
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  const lines: BatchLine[] = [];
  const invalid: InvalidLine[] = [];
  // Body bound that holds for both forms: JSON array = 2 + Σlen + (n-1) commas; NDJSON = Σ(len+1).
  let bodyBytes = 1;
  let pos = 0;
  while (pos < got && lines.length < limits.maxCount) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl >= got) break;
    const raw = buf.subarray(pos, nl);
    const lineStart = start + pos;
    const lineEnd = start + nl + 1;
    // Lines of our own serialiser are recognised by their shape and sent as stored; anything else is parsed.
    const own = looksLikeOwnLine(raw);
    const checked = own ? raw : checkLine(raw, lineStart, limits);
    if (checked === undefined) {
      // blank line: nothing to send, just step over it
    } else if (typeof checked === 'string') {
      invalid.push({ start: lineStart, end: lineEnd, raw: Buffer.from(raw), reason: checked });
    } else {
      if (bodyBytes + checked.length + 1 > limits.maxBytes) {
        if (lines.length === 0 && invalid.length === 0) return { kind: 'oversize', start };
        break;
      }
      bodyBytes += checked.length + 1;
      lines.push({ start: lineStart, end: lineEnd, json: checked, parsed: !own });
    }
    pos = nl + 1;
  }
  if (pos === 0) {
    // No newline in the whole window: either the line is still being written, or it is longer than any request.
    return got >= limits.maxBytes ? { kind: 'oversize', start } : { kind: 'incomplete' };
  }
  return { kind: 'batch', start, end: start + pos, lines, invalid };
}

const TS_KEY = Buffer.from('{"ts":"');
const SCENARIO_KEY = Buffer.from('","scenario":"');
const ID_KEY = Buffer.from(',"id":"');
/** Where `","scenario":"` starts in a line of core/line.ts: after `{"ts":"` and a 24-character timestamp. */
const SCENARIO_AT = TS_KEY.length + 24;

/**
 * Whether a line has the exact shape core/line.ts writes — `{"ts":"<24 chars>","scenario":"…",…,"id":"<plain>"}` —
 * so it already carries a scenario and an id and was valid JSON when written. Such lines skip JSON.parse (most of
 * the uploader's CPU otherwise). A line damaged in between is still caught: the endpoint refuses the batch and the
 * uploader then parses every line before deciding anything (see `Uploader.sendLines`).
 */
export function looksLikeOwnLine(raw: Buffer): boolean {
  const n = raw.length;
  if (n < SCENARIO_AT + SCENARIO_KEY.length + 12 || raw[n - 1] !== 0x7d || raw[n - 2] !== 0x22) return false;
  if (raw.compare(TS_KEY, 0, TS_KEY.length, 0, TS_KEY.length) !== 0) return false;
  if (raw.compare(SCENARIO_KEY, 0, SCENARIO_KEY.length, SCENARIO_AT, SCENARIO_AT + SCENARIO_KEY.length) !== 0) return false;
  const at = raw.lastIndexOf(ID_KEY);
  if (at < 0) return false;
  for (let i = at + ID_KEY.length; i < n - 2; i++) {
    const c = raw[i];
    if (c === 0x22 || c === 0x5c) return false; // the id must be a plain string, nothing after it
  }
  return true;
}

/** Parse a line that was sent unparsed: the line to send, or why it is invalid. */
export function recheckLine(line: BatchLine): { line: BatchLine } | { invalid: InvalidLine } {
  const v = parseJsonObject(line.json.toString('utf8'));
  if (typeof v !== 'string') return { line: { ...line, parsed: true } };
  return { invalid: { start: line.start, end: line.end, raw: line.json, reason: v } };
}

/** undefined = blank; string = why it is invalid; Buffer = the JSON text to send. */
function checkLine(raw: Buffer, offset: number, limits: ReadLimits): Buffer | string | undefined {
  const text = raw.toString('utf8');
  const obj = parseJsonObject(text);
  if (typeof obj === 'string') return text.trim() === '' ? undefined : obj;
  const addId = obj.id === undefined;
  const addScenario = obj.scenario === undefined && limits.scenario !== undefined;
  const trimmed = text.trim();
  if (!addId && !addScenario && trimmed.length === text.length) return raw;
  if (!addId && !addScenario) return Buffer.from(trimmed, 'utf8');
  let extra = '';
  if (addScenario) extra += `"scenario":${JSON.stringify(limits.scenario)}`;
  if (addId) extra += `${extra ? ',' : ''}"id":"${limits.idPrefix}-${offset.toString(36)}"`;
  const inner = trimmed.slice(1, -1).trim();
  return Buffer.from(`{${inner}${inner ? ',' : ''}${extra}}`, 'utf8');
}

/** A stable id prefix for the lines of one file (from the file's head hash); matches the endpoint's id pattern. */
export function idPrefixFor(head: string | undefined, key: string): string {
  const p = `l${head ?? key.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40);
  return ID_PATTERN.test(p) ? p : 'l0';
}

const COMMA = 0x2c;
const NL = 0x0a;

/** The request body: a JSON array (`[a,b]`) or NDJSON (`a\nb\n`) of the given lines, in one allocation. */
export function buildBody(lines: readonly BatchLine[], format: 'json' | 'ndjson'): Buffer {
  let size = format === 'json' ? 2 + Math.max(0, lines.length - 1) : lines.length;
  for (const l of lines) size += l.json.length;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  if (format === 'json') body[at++] = 0x5b; // [
  for (let i = 0; i < lines.length; i++) {
    if (format === 'json' && i > 0) body[at++] = COMMA;
    at += lines[i]!.json.copy(body, at);
    if (format === 'ndjson') body[at++] = NL;
  }
  if (format === 'json') body[at++] = 0x5d; // ]
  return body;
}
