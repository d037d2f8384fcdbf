/**
 * The collector's bearer token (TELEMETRY_AUTH_TOKEN), kept for this tab only: sessionStorage is dropped when the
 * tab closes and is never sent anywhere by the browser itself. The token travels only in the Authorization header,
 * never in a URL (URLs end up in history, logs and Referer headers).
 */
const KEY = 'otel-product-telemetry.token';

export function getToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the page asks again after each reload
  }
}

export function setToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: nothing to keep it in; requests of this page load still carry it (see api.ts)
  }
  memory = token;
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
  memory = undefined;
}

/** Fallback for browsers with storage disabled. */
let memory: string | undefined;

export function currentToken(): string | undefined {
  return getToken() ?? memory;
}
