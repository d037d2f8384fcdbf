import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Bearer-token check in constant time: both sides are hashed first, so neither the content nor the length of the
 * expected token leaks through timing.
 */
export class BearerAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = createHash('sha256').update(token).digest();
  }

  check(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || header.length > 2048) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const given = createHash('sha256').update(m ? m[1]! : '').digest();
    return timingSafeEqual(given, this.expected) && m !== null;
  }
}
