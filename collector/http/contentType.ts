import type { IncomingMessage } from 'node:http';
import { RequestError } from '../../core/errors.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * The media type of a request, lower-cased without parameters; refuses a charset other than UTF-8. Missing →
 * empty string (routes then answer 415 naming what they accept).
 */
export function mediaTypeOf(req: IncomingMessage): string {
  const raw = req.headers['content-type'];
  if (raw === undefined) return '';
  const semi = raw.indexOf(';');
  const type = (semi === -1 ? raw : raw.slice(0, semi)).trim().toLowerCase();
  if (semi !== -1) {
    const m = /charset\s*=\s*"?([^";\s]+)/i.exec(raw.slice(semi));
    if (m && !/^utf-?8$/i.test(m[1]!)) throw new RequestError(ErrorCode.CONTENT_TYPE, 415, `unsupported charset "${m[1]!.slice(0, 40)}": bodies must be UTF-8`);
  }
  return type;
}

export function unsupportedType(type: string, accepted: readonly string[]): RequestError {
  return new RequestError(
    ErrorCode.CONTENT_TYPE,
    415,
    `${type ? `unsupported Content-Type "${type.slice(0, 80)}"` : 'missing Content-Type'}: use ${accepted.join(', ')}`,
  );
}
