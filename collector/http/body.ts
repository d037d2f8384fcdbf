import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { RequestError } from '../../core/errors.js';
import { ErrorCode } from '../../core/errorCodes.js';

export interface BodyLimits {
  /** Largest body in bytes, as received and (for gzip) after decompression. */
  maxBytes: number;
}

function tooLarge(maxBytes: number, what = 'request body'): RequestError {
  return new RequestError(ErrorCode.BODY_TOO_LARGE, 413, `${what} exceeds ${maxBytes} bytes (TELEMETRY_MAX_BODY_BYTES)`);
}

/** Which content coding a request uses: identity or gzip; anything else is refused with 415 before reading. */
export function contentEncodingOf(req: IncomingMessage): 'identity' | 'gzip' {
  const raw = req.headers['content-encoding'];
  if (raw === undefined) return 'identity';
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  throw new RequestError(ErrorCode.CONTENT_ENCODING, 415, `unsupported Content-Encoding "${raw.slice(0, 40)}": use gzip or none`);
}

/**
 * Read a request body with a hard limit. A declared Content-Length over the limit is refused before reading; a body
 * that grows past the limit while streaming is refused at that chunk — what was received is dropped and the rest is
 * never buffered. A gzip body is limited twice: as received, and after decompression (zlib stops producing output at
 * the limit, so a zip bomb costs at most `maxBytes` of memory). The caller answers (413 for this error) and the
 * response helper closes the connection with a lingering drain (`discardRest` in respond.ts): what the client still
 * sends is read and discarded, within `LINGER_MAX_BYTES` and `LINGER_MAX_MS`, so it reads the 413 rather than a reset.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits, encoding: 'identity' | 'gzip' = contentEncodingOf(req)): Promise<Buffer> {
  const max = limits.maxBytes;
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > max) return Promise.reject(tooLarge(max));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      chunks.length = 0;
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        fail(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (encoding === 'identity') {
        resolve(body);
        return;
      }
      gunzip(body, { maxOutputLength: max }, (err, out) => {
        if (err === null) resolve(out);
        else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) reject(tooLarge(max, 'decompressed request body'));
        else reject(new RequestError(ErrorCode.GZIP, 400, `invalid gzip body: ${err.message}`));
      });
    };
    const onError = (err: Error): void => fail(new RequestError(ErrorCode.ABORTED, 400, `request body could not be read: ${err.message}`));
    const onAborted = (): void => fail(new RequestError(ErrorCode.ABORTED, 400, 'request aborted by the client'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Decode a body as UTF-8 text, refusing invalid UTF-8 (it would be stored as replacement characters). */
export function utf8Text(body: Buffer): string {
  if (!isUtf8(body)) throw new RequestError(ErrorCode.ENCODING, 400, 'body is not valid UTF-8');
  // A leading BOM is not JSON; some Windows tools add one.
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.toString('utf8', 3) : body.toString('utf8');
}
