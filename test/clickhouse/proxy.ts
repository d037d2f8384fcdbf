import http from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the proxy does with one request:
 * - `forward`: pass it to ClickHouse and its answer back;
 * - `fail`: answer 503 without asking ClickHouse (ClickHouse down, a load balancer's error);
 * - `refuse`: answer 400 like ClickHouse does for a statement it rejects;
 * - `forward-then-drop`: pass it to ClickHouse (which executes it), then cut the client's connection instead of
 *   answering — the "answer lost" case that makes a retry ambiguous;
 * - `forward-then-hold`: pass it to ClickHouse (which executes it), call `onHeld`, and never answer (until `close()`):
 *   the client is still waiting when the test acts (e.g. SIGKILLs the collector that sent it).
 */
export type ProxyAction = 'forward' | 'fail' | 'refuse' | 'forward-then-drop' | 'forward-then-hold';

export interface ProxiedRequest {
  /** The statement (`?query=`). */
  sql: string;
  action: ProxyAction;
}

/**
 * A real HTTP proxy on 127.0.0.1 in front of the real ClickHouse server, to inject failures at the network edge (no
 * mock of the client or the server: both sides speak real HTTP).
 */
export class ClickHouseProxy {
  readonly requests: ProxiedRequest[] = [];
  decide: (sql: string) => ProxyAction = () => 'forward';
  /** Called when ClickHouse has answered a statement held by `forward-then-hold` (its answer is not passed on). */
  onHeld: (sql: string) => void = () => undefined;
  /** Before a forwarded statement goes to ClickHouse: a promise holds it back until it settles. */
  gate: (sql: string) => Promise<void> | undefined = () => undefined;
  /** Called when ClickHouse's answer to a forwarded statement has been passed on. */
  onAnswered: (sql: string) => void = () => undefined;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;
  url = '';

  private constructor(target: string) {
    this.target = new URL(target);
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(target: string): Promise<ClickHouseProxy> {
    const p = new ClickHouseProxy(target);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.url = `http://127.0.0.1:${(p.server.address() as { port: number }).port}`;
    return p;
  }

  /** Statements seen that start with `prefix` (e.g. 'INSERT'). */
  count(prefix: string): number {
    return this.requests.filter((r) => r.sql.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sql = new URL(req.url ?? '/', 'http://proxy').searchParams.get('query') ?? '';
      const action = this.decide(sql);
      this.requests.push({ sql, action });
      if (action === 'fail') {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('Code: 210, e.displayText() = DB::NetException: injected by the test proxy');
        return;
      }
      if (action === 'refuse') {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Code: 62, e.displayText() = DB::Exception: Syntax error (injected by the test proxy)');
        return;
      }
      const headers = { ...req.headers };
      delete headers.host;
      const up = http.request(new URL(req.url ?? '/', this.target), { method: req.method, headers }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          if (action === 'forward-then-drop') {
            req.socket.destroy();
            return;
          }
          if (action === 'forward-then-hold') {
            this.onHeld(sql);
            return;
          }
          const h = { ...upRes.headers };
          delete h['transfer-encoding'];
          res.writeHead(upRes.statusCode ?? 502, { ...h, 'content-length': Buffer.concat(body).length });
          res.end(Buffer.concat(body), () => this.onAnswered(sql));
        });
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end('proxy: upstream error');
      });
      const gate = this.gate(sql);
      if (gate === undefined) up.end(Buffer.concat(chunks));
      else void gate.then(() => up.end(Buffer.concat(chunks)));
    });
  }
}
