/**
 * A small HTTP load balancer in front of several collectors, as an operator would put nginx there (test/bench only):
 * round robin per request from a starting collector of its own; on a connect error (the collector is gone, nothing
 * was sent) the request goes to the next collector, like nginx's `proxy_next_upstream error`; once the request has
 * reached a collector, an error before its answer (the collector died mid-request) is answered 502 and left to the
 * client to retry — a POST is not idempotent, so a balancer must not resend it by itself.
 *
 * It also keeps the books the cluster test checks: which event ids each collector acknowledged (from the request
 * bodies of 2xx answers) and which were in requests that ended in an upstream error, and it tells `onSent` each time
 * a request body has been handed to a collector.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** A request a collector answered 2xx: its events and what the answer said of them. */
export interface AnsweredUpload {
  readonly index: number;
  /** `BalancerBooks.sent` when this request had been handed to the collector: its place among all sends. */
  readonly sentAs: number;
  readonly ids: readonly string[];
  readonly stored: number;
  readonly duplicate: number;
}

/** What every balancer of one test shares: per collector, the acknowledged ids and the counts. */
export class BalancerBooks {
  /** Event ids of the 2xx answers, per collector. */
  readonly acked: string[][];
  /** Requests answered 2xx, per collector. */
  readonly ackedRequests: number[];
  /** Every 2xx answer, in the order they came back. */
  readonly answers: AnsweredUpload[] = [];
  /** Requests that reached a collector and got no answer (it died or reset the connection), with their event ids. */
  readonly cut: { index: number; ids: string[] }[] = [];
  /** Requests passed on to the next collector because the connection was refused. */
  readonly refused: number[];
  /** Requests sent and not yet answered, per collector. */
  readonly inFlight: number[];
  /** Requests handed to a collector so far, all balancers and collectors together. */
  sent = 0;
  /** Called when a request body has been written to collector `index` (before its answer). */
  onSent: (index: number) => void = () => undefined;

  constructor(collectors: number) {
    this.acked = Array.from({ length: collectors }, () => []);
    this.ackedRequests = new Array<number>(collectors).fill(0);
    this.refused = new Array<number>(collectors).fill(0);
    this.inFlight = new Array<number>(collectors).fill(0);
  }

  /** The counts, for a failure message. */
  summary(): string {
    return `answered ${this.ackedRequests.join('/')}, in flight ${this.inFlight.join('/')}, refused ${this.refused.join('/')}, cut ${this.cut.length}`;
  }
}

/** Event ids of an upload body (a JSON array or NDJSON, gzip or plain), for the books. */
function idsOf(body: Buffer, encoding: string | undefined): string[] {
  const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8').trim();
  const events: unknown[] = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
  const ids: string[] = [];
  for (const e of events) {
    const id = (e as { id?: unknown }).id;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

export class LoadBalancer {
  private next: number;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly upstreams: readonly URL[],
    private readonly books: BalancerBooks,
    first: number,
  ) {
    this.next = first;
  }

  /** A balancer over `upstreams` (collector base URLs) whose first request goes to `upstreams[first]`. */
  static async start(upstreams: readonly string[], books: BalancerBooks, first = 0): Promise<LoadBalancer> {
    let lb: LoadBalancer | undefined;
    const server = createServer((req, res) => lb!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    lb = new LoadBalancer(server, `http://127.0.0.1:${port}`, upstreams.map((u) => new URL(u)), books, first % upstreams.length);
    return lb;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const start = this.next;
      this.next = (this.next + 1) % this.upstreams.length;
      this.forward(req, res, Buffer.concat(chunks), start, 0);
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, index: number, tries: number): void {
    const books = this.books;
    const target = this.upstreams[index]!;
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    let sent = false;
    let sentAs = 0;
    let settled = false;
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.agent }, (answer) => {
      const parts: Buffer[] = [];
      answer.on('data', (c: Buffer) => parts.push(c));
      answer.on('end', () => {
        if (settled) return;
        settled = true;
        books.inFlight[index]!--;
        const status = answer.statusCode ?? 502;
        if (status >= 200 && status < 300 && req.method === 'POST') {
          const ids = idsOf(body, req.headers['content-encoding'] as string | undefined);
          const answerBody = JSON.parse(Buffer.concat(parts).toString('utf8')) as { events_stored?: number; events_duplicate?: number };
          books.ackedRequests[index]!++;
          for (const id of ids) books.acked[index]!.push(id);
          books.answers.push({ index, sentAs, ids, stored: answerBody.events_stored ?? 0, duplicate: answerBody.events_duplicate ?? 0 });
        }
        res.writeHead(status, answer.headers).end(Buffer.concat(parts));
      });
      answer.on('error', () => fail(new Error('answer cut off')));
    });
    const fail = (err: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      if (sent) books.inFlight[index]!--;
      if (!sent && err.code === 'ECONNREFUSED' && tries + 1 < this.upstreams.length) {
        // Nothing reached that collector: the next one may take it.
        books.refused[index]!++;
        this.forward(req, res, body, (index + 1) % this.upstreams.length, tries + 1);
        return;
      }
      if (sent) books.cut.push({ index, ids: idsOf(body, req.headers['content-encoding'] as string | undefined) });
      const text = JSON.stringify({ status: 'error', code: 'BAD_GATEWAY', error: `collector ${target.host}: ${err.message}` });
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(text);
    };
    up.on('error', fail);
    up.end(body, () => {
      if (settled) return;
      sent = true;
      sentAs = ++books.sent;
      books.inFlight[index]!++;
      books.onSent(index);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
