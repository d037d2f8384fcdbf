import { homedir, userInfo } from 'node:os';

export const REDACTED = '[REDACTED]';

export interface Redactor {
  /** Returns the value with secrets replaced; the same reference when nothing changed (copy on write). */
  (value: unknown): unknown;
  /** The same for a value stored under `key` (an attribute). */
  entry(key: string, value: unknown): unknown;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Build a redactor: object keys containing any of `keys` (case-insensitive, at any depth) get `[REDACTED]`; the
 * user's home directory and user name inside strings (stack traces carry both) become `~` and `<user>`.
 * Never mutates its input: objects on a changed path are copied, everything else is shared.
 */
export function createRedactor(keys: readonly string[], home: string | undefined = safeHome(), user: string | undefined = safeUserName()): Redactor {
  const keyRe = keys.length > 0 ? new RegExp(keys.map(escapeRegExp).join('|'), 'i') : undefined;
  const homeRe = home && home.length > 1 ? new RegExp(escapeRegExp(home), 'g') : undefined;
  // Only whole-word user names, and not trivially short ones, to avoid mangling ordinary words.
  const userRe = user && user.length >= 3 ? new RegExp(`\\b${escapeRegExp(user)}\\b`, 'g') : undefined;

  // Key decisions are cached (bounded): event details reuse the same few keys over and over.
  const keyDecisions = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    if (keyRe === undefined) return false;
    let d = keyDecisions.get(key);
    if (d === undefined) {
      d = keyRe.test(key);
      if (keyDecisions.size >= 4096) keyDecisions.clear();
      keyDecisions.set(key, d);
    }
    return d;
  };

  const redactString = (s: string): string => {
    let out = s;
    if (homeRe && out.includes(home!)) out = out.replace(homeRe, '~');
    if (userRe && out.includes(user!)) out = out.replace(userRe, '<user>');
    return out;
  };

  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = walk(value[i], depth + 1);
        if (v !== value[i]) (copy ??= value.slice())[i] = v;
      }
      return copy ?? value;
    }
    if (value instanceof Uint8Array || value instanceof Date) return value;
    let copy: Record<string, unknown> | undefined;
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      const current = obj[key];
      const next = isSecretKey(key) && current !== undefined && current !== null ? REDACTED : walk(current, depth + 1);
      if (next !== current) {
        // defineProperty keeps keys like "__proto__" as plain data instead of changing the copy's prototype
        copy ??= cloneOwn(obj);
        defineData(copy, key, next);
      }
    }
    return copy ?? value;
  };

  const redactor = ((value: unknown) => walk(value, 0)) as Redactor;
  redactor.entry = (key, value) =>
    isSecretKey(key) && value !== undefined && value !== null ? REDACTED : walk(value, 1);
  return redactor;
}

function safeHome(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

// defineProperty keeps keys like "__proto__" as plain data instead of changing the copy's prototype.
function defineData(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function cloneOwn(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) defineData(out, key, obj[key]);
  return out;
}
