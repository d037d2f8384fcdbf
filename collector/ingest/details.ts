import { ValidationError } from '../../core/errors.js';

export interface DetailsLimits {
  /** Deepest nesting inside details (details itself is level 1). */
  maxDepth: number;
  /** Most keys and array items, all levels counted. */
  maxKeys: number;
}

/** Keys refused anywhere in an event: copied naively they would change an object's prototype. */
export function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

class DetailsProblem extends Error {
  path: string;
  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/**
 * Check a details object against the limits and refuse prototype-changing keys. Returns the number of keys and
 * items counted. Throws ValidationError naming the offending path (e.g. `details.a.b[3]`). Recursion is bounded by
 * `maxDepth`, so hostile nesting cannot exhaust the stack.
 */
export function checkDetails(details: Record<string, unknown>, limits: DetailsLimits, field = 'details', alreadyCounted = 0): number {
  const state = { keys: alreadyCounted, limits };
  try {
    walkObject(details, 1, state);
  } catch (err) {
    if (err instanceof DetailsProblem) throw new ValidationError(field + err.path, err.message);
    throw err;
  }
  return state.keys;
}

interface WalkState {
  keys: number;
  limits: DetailsLimits;
}

function walkValue(v: unknown, depth: number, state: WalkState): void {
  if (v === null || typeof v !== 'object') return;
  if (depth > state.limits.maxDepth) throw new DetailsProblem(`nested deeper than ${state.limits.maxDepth} levels (TELEMETRY_MAX_DETAILS_DEPTH)`, '');
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (++state.keys > state.limits.maxKeys) throw new DetailsProblem(`more than ${state.limits.maxKeys} keys and items (TELEMETRY_MAX_DETAILS_KEYS)`, `[${i}]`);
      try {
        walkValue(v[i], depth + 1, state);
      } catch (err) {
        if (err instanceof DetailsProblem) err.path = `[${i}]` + err.path;
        throw err;
      }
    }
    return;
  }
  walkObject(v as Record<string, unknown>, depth, state);
}

function walkObject(o: Record<string, unknown>, depth: number, state: WalkState): void {
  for (const key in o) {
    if (isForbiddenKey(key)) throw new DetailsProblem(`key "${key}" is not allowed`, '.' + key);
    if (++state.keys > state.limits.maxKeys) throw new DetailsProblem(`more than ${state.limits.maxKeys} keys and items (TELEMETRY_MAX_DETAILS_KEYS)`, '.' + key);
    const v = o[key];
    if (v !== null && typeof v === 'object') {
      try {
        walkValue(v, depth + 1, state);
      } catch (err) {
        if (err instanceof DetailsProblem) err.path = '.' + key + err.path;
        throw err;
      }
    }
  }
}
