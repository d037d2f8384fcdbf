/**
 * An independent statement of the event contract (README "Upload events", "JSONL format"), written without the
 * collector's own helpers, to re-check what the parser/validator and the OTLP mapping accept. Returns the list of
 * violations (empty = conforms), so a failing property names what was wrong.
 */

export interface ContractLimits {
  maxDepth: number;
  maxKeys: number;
  maxClockSkewMs: number;
}

const SCENARIO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const EVENT_KEYS = new Set(['scenario', 'event', 'timestamp', 'deploymentId', 'id', 'details', 'severityNumber']);

export function scenarioOk(s: unknown): boolean {
  return typeof s === 'string' && SCENARIO.test(s) && !DEVICE.test(s) && !s.includes('..');
}

export function eventViolations(e: unknown, now: number, limits: ContractLimits): string[] {
  const v: string[] = [];
  if (e === null || typeof e !== 'object') return ['not an object'];
  const o = e as Record<string, unknown>;
  for (const k of Reflect.ownKeys(o)) if (typeof k !== 'string' || !EVENT_KEYS.has(k)) v.push(`unexpected key ${String(k)}`);
  if (!scenarioOk(o.scenario)) v.push(`scenario ${JSON.stringify(o.scenario)}`);
  if (typeof o.event !== 'string' || o.event.length < 1 || o.event.length > 256) v.push('event: 1-256 characters');
  if (typeof o.timestamp !== 'number' || !Number.isInteger(o.timestamp) || o.timestamp < 0 || o.timestamp > now + limits.maxClockSkewMs) v.push(`timestamp ${String(o.timestamp)}`);
  if (o.id !== undefined && (typeof o.id !== 'string' || !ID.test(o.id))) v.push(`id ${JSON.stringify(o.id)}`);
  if (o.deploymentId !== undefined && (typeof o.deploymentId !== 'string' || o.deploymentId.length > 256)) v.push('deploymentId');
  if (o.severityNumber !== undefined && (typeof o.severityNumber !== 'number' || !Number.isInteger(o.severityNumber) || o.severityNumber < 1 || o.severityNumber > 24)) v.push('severityNumber');
  if (o.details !== undefined) {
    const d = o.details;
    if (d === null || typeof d !== 'object' || Array.isArray(d)) v.push('details: not an object');
    else {
      const state = { keys: 0 };
      walk(d, 1, limits, state, 'details', v);
      if (state.keys > limits.maxKeys) v.push(`details: ${state.keys} keys > ${limits.maxKeys}`);
    }
  }
  return v;
}

/** Depth as the README defines it: details itself is level 1, each nested object or array one more. */
function walk(value: object, depth: number, limits: ContractLimits, state: { keys: number }, path: string, v: string[]): void {
  if (depth > limits.maxDepth) {
    v.push(`${path}: depth ${depth} > ${limits.maxDepth}`);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value) ? proto !== Array.prototype : proto !== Object.prototype && proto !== null) v.push(`${path}: prototype changed`);
  for (const k of Reflect.ownKeys(value)) {
    if (typeof k !== 'string') {
      v.push(`${path}: symbol key`);
      continue;
    }
    if (Array.isArray(value) && k === 'length') continue;
    state.keys++;
    if (FORBIDDEN.has(k)) v.push(`${path}.${k}: forbidden key`);
    const child = (value as Record<string, unknown>)[k];
    if (child === null || typeof child === 'string' || typeof child === 'boolean') continue;
    if (typeof child === 'number') {
      if (!Number.isFinite(child)) v.push(`${path}.${k}: not a finite number`);
      continue;
    }
    if (typeof child === 'object') walk(child, depth + 1, limits, state, `${path}.${k}`, v);
    else v.push(`${path}.${k}: ${typeof child} is not JSON`);
  }
}
