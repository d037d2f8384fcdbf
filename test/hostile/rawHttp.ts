import { connect } from 'node:net';

/**
 * A raw HTTP/1.1 client over a TCP socket, for requests `fetch` will not send: paths exactly as written (`fetch`
 * would resolve `/../` and re-encode `%2e%2e`), malformed request lines and headers, chunked bodies without a
 * Content-Length, and bytes trickled slowly (slow-loris).
 */
export interface RawRequest {
  /** The whole head as sent, without the final blank line: request line and header lines. */
  head: string;
  /** Send these bytes verbatim instead of `head` and `body` (framing the parser must refuse). */
  raw?: Buffer;
  /** Body parts, sent in order (each one write; chunked framing when `chunked`). */
  body?: Buffer[];
  chunked?: boolean;
  /** Send the head (and body) this many bytes at a time, waiting `delayMs` between writes (slow-loris). */
  trickle?: { bytes: number; delayMs: number; maxMs: number };
  /** Give up (and report `timedOut`) after this long. */
  timeoutMs: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The answer's body bytes (protobuf answers). */
  bytes: Buffer;
  body: unknown;
  /** The server closed the connection (rather than the client giving up). */
  closedByServer: boolean;
  timedOut: boolean;
  /** Milliseconds from connect to the end (answer complete or connection closed). */
  elapsedMs: number;
}

function frame(req: RawRequest): Buffer[] {
  if (req.raw !== undefined) return [req.raw];
  const parts: Buffer[] = [Buffer.from(req.head + '\r\n\r\n', 'latin1')];
  for (const b of req.body ?? []) {
    if (req.chunked) {
      if (b.length === 0) continue;
      parts.push(Buffer.from(b.length.toString(16) + '\r\n', 'latin1'), b, Buffer.from('\r\n', 'latin1'));
    } else parts.push(b);
  }
  if (req.chunked) parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return parts;
}

/** Parse what the server sent: status line, headers, and the body (by Content-Length, else up to close). */
function parse(raw: Buffer): { status: number; headers: Record<string, string>; text: string; bytes: Buffer; complete: boolean } {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, headers: {}, text: '', bytes: Buffer.alloc(0), complete: false };
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  let complete = false;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    complete = body.length >= n;
    body = body.subarray(0, n);
  }
  return { status, headers, text: body.toString('utf8'), bytes: body, complete };
}

/** Send one request on a fresh connection and read one answer. Never rejects: failures show in the result. */
export function rawRequest(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let done = false;
    let closedByServer = false;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      const p = parse(Buffer.concat(received));
      let body: unknown;
      try {
        body = JSON.parse(p.text);
      } catch {
        body = undefined;
      }
      resolve({ status: p.status, headers: p.headers, text: p.text, bytes: p.bytes, body, closedByServer, timedOut, elapsedMs: Date.now() - started });
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        finish();
      }, req.timeoutMs),
    );
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (parse(Buffer.concat(received)).complete) finish();
    });
    socket.on('close', () => {
      closedByServer = !done;
      finish();
    });
    // EPIPE/ECONNRESET after the server answered and closed: the answer (if any) is already in `received`.
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      const data = Buffer.concat(frame(req));
      if (req.trickle === undefined) {
        socket.write(data);
        return;
      }
      const { bytes, delayMs, maxMs } = req.trickle;
      let off = 0;
      const step = (): void => {
        if (done || socket.destroyed || off >= data.length || Date.now() - started > maxMs) return;
        socket.write(data.subarray(off, off + bytes));
        off += bytes;
        const t = setTimeout(step, delayMs);
        timers.push(t);
      };
      step();
    });
  });
}
