import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ClickHouseError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { ClickHouseConfig } from './config.js';

/**
 * Values travel to ClickHouse as an external-data table (HTTP multipart, one file field per table), never inside SQL
 * text: the query reads them with `... IN (SELECT s FROM params)` or a scalar `(SELECT any(s) FROM params)`.
 */
export type ExternalTable = JsonTable | TsvTable | RowBinaryTable;

interface TableBase {
  /** Table name inside the query, e.g. `params`. A constant of our code. */
  readonly name: string;
  /** ClickHouse structure, e.g. `s String, t UInt64`. A constant of our code. */
  readonly structure: string;
}
/** Rows sent as JSONEachRow (small tables: parameters). */
export interface JsonTable extends TableBase {
  readonly rows: readonly Record<string, string | number | null>[];
}
/** Rows already encoded as TabSeparated (see tsv.ts). */
export interface TsvTable extends TableBase {
  readonly tsv: string;
}
/** Rows already encoded as RowBinary (rowBinary.ts): the duplicate check's keys (RowWriter.existingKeys). */
export interface RowBinaryTable extends TableBase {
  readonly rowBinary: Buffer;
}

const gzipAsync = promisify(gzip);

export interface RequestOptions {
  /** Request body (an INSERT's rows). Exclusive with `tables`. */
  body?: string | Buffer;
  /**
   * Send the body gzip-compressed (`Content-Encoding: gzip`, which every ClickHouse version reads; compressed on
   * libuv's thread pool, off the event loop). Pays off when the network, not the CPU, is the limit.
   */
  gzip?: boolean;
  /** External data. */
  tables?: readonly ExternalTable[];
  signal?: AbortSignal;
  /** ClickHouse settings for this statement (constants of our code, sent as URL parameters). */
  settings?: Readonly<Record<string, string>>;
  /** Default: the connection's `timeoutMs`. */
  timeoutMs?: number;
}

const IDLE_SOCKET_MS = 2000;

/** Most of an error body kept for the message. */
const MAX_ERROR_CHARS = 2000;

/**
 * The HTTP interface of ClickHouse, spoken with node:http over kept-alive connections.
 *
 * Why not `@clickhouse/client`: it passes values as query parameters (`{x:String}` placeholders, `param_x=` in the
 * URL), which ClickHouse 18.16 — Debian's package — does not know ("Unknown setting param_x"). External data (a
 * multipart file read as a temporary table) works on every version, so values go that way; the SQL text holds only
 * constants of this code and identifiers from validated configuration. The query itself is sent in the URL
 * (`?query=`), which is all an 18.16 server reads there besides settings.
 */
export class ClickHouseHttp {
  readonly config: ClickHouseConfig;
  private readonly headers: Record<string, string>;
  /**
   * Kept-alive connections. Idle ones close after 2 s, before ClickHouse's own
   * `keep_alive_timeout` (3 s by default) would close them under a request; the agent unrefs idle sockets, so they
   * never hold the process open.
   */
  private readonly httpAgent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });

  constructor(config: ClickHouseConfig) {
    this.config = config;
    this.headers = { 'user-agent': `otel-product-telemetry/${VERSION}` };
    if (config.user !== undefined || config.password !== undefined) {
      const token = Buffer.from(`${config.user ?? 'default'}:${config.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${token}`;
    }
  }

  /** Where requests go, for messages (never with credentials). */
  get where(): string {
    return this.config.url;
  }

  /** The statement's URL, body and headers (external tables as multipart, or the body gzip-compressed). */
  private async prepare(sql: string, options: RequestOptions): Promise<{ url: URL; body: string | Buffer | undefined; headers: Record<string, string> }> {
    const url = new URL(this.config.url);
    url.searchParams.set('query', sql);
    if (options.settings !== undefined) for (const [k, v] of Object.entries(options.settings)) url.searchParams.set(k, v);
    let body: string | Buffer | undefined = options.body;
    let headers = this.headers;
    if (options.tables !== undefined && options.tables.length > 0) {
      // multipart/form-data written by hand: FormData and Blob cost more than the rows themselves. The boundary is
      // random per request, so no value can end a part early. Text parts are joined as one string; a RowBinary part
      // is bytes, so then the pieces are joined as Buffers.
      const boundary = `opt-${randomBytes(12).toString('hex')}`;
      const parts: (string | Buffer)[] = [];
      let binary = false;
      for (const t of options.tables) {
        url.searchParams.set(`${t.name}_structure`, t.structure);
        url.searchParams.set(`${t.name}_format`, 'tsv' in t ? 'TabSeparated' : 'rowBinary' in t ? 'RowBinary' : 'JSONEachRow');
        let data: string | Buffer;
        if ('tsv' in t) data = t.tsv;
        else if ('rowBinary' in t) {
          data = t.rowBinary;
          binary = true;
        } else {
          data = '';
          for (const row of t.rows) data += JSON.stringify(row) + '\n';
        }
        parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${t.name}"; filename="${t.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`, data, '\r\n');
      }
      parts.push(`--${boundary}--\r\n`);
      body = binary ? Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))) : parts.join('');
      headers = { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` };
    } else if (options.gzip === true && body !== undefined) {
      body = await gzipAsync(body, { level: 1 });
      headers = { ...headers, 'content-encoding': 'gzip' };
    }
    return { url, body, headers };
  }

  /** The statement's timeout: a timer (unref'd) aborting a signal, joined with the caller's signals. */
  private deadline(options: RequestOptions, extraSignal?: AbortSignal): { timeoutMs: number; timeout: AbortController; timer: NodeJS.Timeout; signal: AbortSignal } {
    const timeoutMs = Math.max(1, options.timeoutMs ?? this.config.timeoutMs);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const signals = [timeout.signal];
    if (options.signal) signals.push(options.signal);
    if (extraSignal) signals.push(extraSignal);
    const signal = signals.length === 1 ? timeout.signal : AbortSignal.any(signals);
    return { timeoutMs, timeout, timer, signal };
  }

  private networkError(err: unknown, timeoutMs: number, timeout: AbortController, options: RequestOptions): ClickHouseError {
    const reason = timeout.signal.aborted ? `no answer within ${timeoutMs} ms` : options.signal?.aborted ? 'aborted' : describe(err);
    return new ClickHouseError(`ClickHouse at ${this.where}: ${reason}`, 0, !options.signal?.aborted, undefined, { cause: err });
  }

  /** An answer other than 200 → ClickHouseError: retryable for 408, 429 and 5xx; not for bad SQL, unknown tables, credentials. */
  private statusError(status: number, statusText: string, body: string): ClickHouseError {
    const text = body.slice(0, MAX_ERROR_CHARS).trim();
    const code = /^Code: (\d+)/.exec(text);
    const retryable = status === 408 || status === 429 || status >= 500;
    return new ClickHouseError(`ClickHouse at ${this.where} answered ${status}: ${text || statusText}`, status, retryable, code ? Number(code[1]) : undefined);
  }

  /**
   * Send one statement with node:http over kept-alive connections; resolves with the 200 response and its timer
   * (cleared by the caller once it has read what it needs). node:http rather than `fetch`, which copied every Buffer
   * body into a web stream before sending it and cost more per request than the rows' own encoding. Throws
   * ClickHouseError: retryable for network errors, timeouts, 408, 429 and 5xx; not retryable for other answers (bad
   * SQL, unknown table, wrong credentials).
   */
  private async send(sql: string, options: RequestOptions, extraSignal?: AbortSignal): Promise<{ res: http.IncomingMessage; timer: NodeJS.Timeout }> {
    const { url, body, headers } = await this.prepare(sql, options);
    const { timeoutMs, timeout, timer, signal } = this.deadline(options, extraSignal);
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const secure = url.protocol === 'https:';
    let res: http.IncomingMessage;
    try {
      res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = (secure ? https : http).request(
          url,
          { method: 'POST', agent: secure ? this.httpsAgent : this.httpAgent, signal, headers: payload === undefined ? headers : { ...headers, 'content-length': String(payload.length) } },
          resolve,
        );
        req.on('error', reject);
        req.end(payload);
      });
    } catch (err) {
      clearTimeout(timer);
      throw this.networkError(err, timeoutMs, timeout, options);
    }
    if (res.statusCode === 200) return { res, timer };
    let text = '';
    try {
      text = await readAll(res);
    } catch {
      // the body is only for the message
    } finally {
      clearTimeout(timer);
    }
    throw this.statusError(res.statusCode ?? 0, res.statusMessage ?? '', text);
  }

  /** Send one statement and read its whole answer; the timeout covers the whole exchange. */
  private async sendWhole(sql: string, options: RequestOptions): Promise<string> {
    const { res, timer } = await this.send(sql, options);
    try {
      return await readAll(res);
    } catch (err) {
      throw new ClickHouseError(`ClickHouse at ${this.where}: reading the answer failed: ${describe(err)}`, 0, true, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run a statement whose answer is not needed (DDL, INSERT); the timeout covers the whole exchange. */
  async exec(sql: string, options: RequestOptions = {}): Promise<void> {
    await this.sendWhole(sql, options);
  }

  /** Run a `... FORMAT TabSeparated` query and return its answer's text (parse with tsv.ts); the timeout covers the whole exchange. */
  text(sql: string, options: RequestOptions = {}): Promise<string> {
    return this.sendWhole(sql, options);
  }

  /** Run a `... FORMAT JSONEachRow` query and return its rows; the timeout covers the whole exchange. */
  async rows<T>(sql: string, options: RequestOptions = {}): Promise<T[]> {
    const out: T[] = [];
    for await (const row of this.stream<T>(sql, options, true)) out.push(row);
    return out;
  }

  /**
   * Run a `... FORMAT JSONEachRow` query and yield its rows as they arrive (constant memory). The timeout covers
   * the wait for the answer's start only (unless `wholeTimeout`): a long result is read at the consumer's pace.
   * Stopping early cancels the response.
   */
  async *stream<T>(sql: string, options: RequestOptions = {}, wholeTimeout = false): AsyncGenerator<T> {
    const abort = new AbortController();
    const { res, timer } = await this.send(sql, options, abort.signal);
    if (!wholeTimeout) clearTimeout(timer);
    const decoder = new TextDecoder();
    let carry = '';
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        const text = carry + decoder.decode(chunk, { stream: true });
        let start = 0;
        for (;;) {
          const nl = text.indexOf('\n', start);
          if (nl === -1) break;
          if (nl > start) yield this.parseRow<T>(text.slice(start, nl));
          start = nl + 1;
        }
        carry = text.slice(start);
      }
      carry += decoder.decode();
      if (carry.trim().length > 0) yield this.parseRow<T>(carry);
    } catch (err) {
      if (err instanceof ClickHouseError) throw err;
      throw new ClickHouseError(`ClickHouse at ${this.where}: reading the answer failed: ${describe(err)}`, 0, true, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  private parseRow<T>(line: string): T {
    try {
      return JSON.parse(line) as T;
    } catch (err) {
      // ClickHouse reports an error that happens after the first rows were sent inside the body ("Code: N, ...").
      throw new ClickHouseError(`ClickHouse at ${this.where} sent a line that is not a JSON row: ${line.slice(0, 500)}`, 200, false, undefined, { cause: err });
    }
  }
}

/** A response's whole body as text; rejects when the connection is cut before its end. */
async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? String(err)} (${cause})` : (e.message ?? String(err));
}
