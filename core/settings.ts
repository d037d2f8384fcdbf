import { ConfigError } from './errors.js';
import { reportOnce } from './report.js';

/**
 * A setting is one configuration value: its code option name, the environment variable that can set it,
 * how to check a code option's native value, how to read it from a string, a default and a line of documentation.
 *
 * The checks are written by hand rather than with a schema library: this module is on every host app's import path,
 * and the schema library alone cost ~60 ms and ~3 MB of RSS at import (`bench/import.mjs`). Their messages keep the
 * wording zod used for the same checks, so errors read as before.
 *
 * Precedence is the house rule: code option > environment variable > default. A blank env value is unset.
 * Components declare their settings next to their code (`config.ts`); the composition root reads them once.
 */
export interface Setting<T> {
  readonly env: string;
  /** Check a code option's native value: returns it (arrays as a frozen copy), or throws a message saying what is wrong. */
  readonly fromOption: (value: unknown) => T;
  /** Parse an environment string into the native value, or throw a message naming the allowed values. */
  readonly fromEnv: (raw: string) => T;
  readonly default: T | (() => T);
  readonly doc: string;
  /** What to show in docs and errors as the allowed values. */
  readonly allowed: string;
  /** A credential: errors name the variable and the value's length, never the value. */
  readonly secret?: boolean;
  /**
   * The safe reading of an invalid env value inside a host app (`mode: 'host'`), where a typo must not stop the
   * app: reported once and this value used instead (default: the setting's default). Consent switches use it to
   * stay off wherever consent is in doubt.
   */
  readonly whenInvalid?: T;
  /** Read an env value without ever failing: returns the value and, for a value that is not canonical, a warning. */
  readonly lenient?: (raw: string) => { value: T; warning?: string };
}

/**
 * Who reads the settings. `operator`: programs an operator starts (the collector, the CLI) fail fast on any invalid
 * value. `host`: code running inside someone's app (the pipeline, register, detectors, exporters) reports an invalid
 * env value once and uses the setting's safe reading; invalid code options still throw (programmer errors).
 */
export type SettingsMode = 'operator' | 'host';

export type SettingsTable = Record<string, Setting<unknown>>;
export type SettingsValues<S extends SettingsTable> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };
export type SettingsOptions<S extends SettingsTable> = { [K in keyof S]?: S[K] extends Setting<infer T> ? T : never };

/** How a check names the type of a value it refused (`received number`, `received null`, `received NaN`). */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

function expected(type: string, value: unknown): Error {
  return new Error(`Invalid input: expected ${type}, received ${typeName(value)}`);
}

function optionBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw expected('boolean', value);
  return value;
}

/** A string option, matching `pattern` when one is given. */
export function optionString(value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string') throw expected('string', value);
  if (pattern && !pattern.test(value)) throw new Error(`Invalid string: must match pattern ${String(pattern)}`);
  return value;
}

/** A list option: an array of strings, each checked by `item`; a frozen copy, so the resolved settings stay immutable. */
export function optionList(value: unknown, item: (s: unknown) => string = (s) => optionString(s)): readonly string[] {
  if (!Array.isArray(value)) throw expected('array', value);
  return Object.freeze(value.map(item));
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function parseBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new Error('expected one of true, false, 1, 0, yes, no, on, off');
}

export function booleanSetting(env: string, def: boolean, doc: string, whenInvalid: boolean = def): Setting<boolean> {
  return { env, fromOption: optionBoolean, fromEnv: parseBoolean, default: def, doc, allowed: 'true | false', whenInvalid };
}

/**
 * A boolean read as the OpenTelemetry specification reads its own (`OTEL_SDK_DISABLED`): only `true`, in any case,
 * is true; anything else is false, and a value other than `false` or blank draws a warning, never an error.
 */
export function otelBooleanSetting(env: string, doc: string): Setting<boolean> {
  const lenient = (raw: string): { value: boolean; warning?: string } => {
    const v = raw.trim().toLowerCase();
    if (v === 'true') return { value: true };
    if (v === 'false' || v === '') return { value: false };
    return { value: false, warning: 'only "true" (any case) turns it on, as the OpenTelemetry specification says; read as false' };
  };
  return { env, fromOption: optionBoolean, fromEnv: (raw) => lenient(raw).value, lenient, default: false, doc, allowed: 'true | false' };
}

export function integerSetting(env: string, def: number, min: number, max: number, doc: string): Setting<number> {
  return {
    env,
    fromOption: (value) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw expected('number', value);
      if (!Number.isInteger(value)) throw expected('int', value);
      if (value < min) throw new Error(`Too small: expected number to be >=${min}`);
      if (value > max) throw new Error(`Too big: expected number to be <=${max}`);
      return value;
    },
    fromEnv: (raw) => {
      const v = raw.trim();
      if (!/^-?\d+$/.test(v)) throw new Error(`expected an integer from ${min} to ${max}`);
      const n = Number(v);
      if (n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}`);
      return n;
    },
    default: def,
    doc,
    allowed: `integer ${min}..${max}`,
  };
}

export function stringSetting(env: string, def: string | undefined | (() => string | undefined), doc: string, pattern?: RegExp, allowed = 'string'): Setting<string | undefined> {
  return {
    env,
    fromOption: (value) => optionString(value, pattern),
    fromEnv: (raw) => {
      if (pattern && !pattern.test(raw)) throw new Error(`expected ${allowed}`);
      return raw;
    },
    default: def,
    doc,
    allowed,
  };
}

export function enumSetting<const T extends readonly [string, ...string[]]>(env: string, values: T, def: T[number], doc: string): Setting<T[number]> {
  return {
    env,
    fromOption: (value) => {
      if (!(values as readonly unknown[]).includes(value)) throw new Error(`Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join('|')}`);
      return value as T[number];
    },
    fromEnv: (raw) => {
      const v = raw.trim().toLowerCase();
      if (!(values as readonly string[]).includes(v)) throw new Error(`expected one of ${values.join(', ')}`);
      return v as T[number];
    },
    default: def,
    doc,
    allowed: values.join(' | '),
  };
}

export function listSetting(env: string, def: readonly string[], doc: string): Setting<readonly string[]> {
  return {
    env,
    fromOption: (value) => optionList(value),
    fromEnv: (raw) => raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    default: def,
    doc,
    allowed: 'comma-separated list',
  };
}

export function urlSetting(env: string, doc: string): Setting<string | undefined> {
  const check = (raw: string): string => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error('expected an absolute http:// or https:// URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('expected an absolute http:// or https:// URL');
    return raw;
  };
  return {
    env,
    fromOption: (value) => check(optionString(value)),
    fromEnv: check,
    default: undefined,
    doc,
    allowed: 'http(s) URL',
  };
}

// Credentials by name too, so a component that forgets `secret: true` still never echoes one (TELEMETRY_UPLOAD_TOKEN,
// TELEMETRY_CLICKHOUSE_PASSWORD, ...).
const SECRET_NAME = /_(TOKEN|PASSWORD|SECRET|API_KEY)$/;

function isSecret(setting: Setting<unknown>): boolean {
  return setting.secret === true || SECRET_NAME.test(setting.env);
}

/**
 * Resolve a settings table: options first, then env, then defaults. Unknown option keys are rejected (a typo must
 * fail, as in the Collector's config tests). All problems are reported together, each naming the variable.
 */
export function resolveSettings<S extends SettingsTable>(
  table: S,
  options: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
  mode: SettingsMode = 'operator',
): SettingsValues<S> {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!(key in table)) problems.push(`unknown option "${key}" (known: ${Object.keys(table).join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(table)) {
    const opt = options[key];
    if (opt !== undefined) {
      try {
        out[key] = setting.fromOption(opt);
      } catch (err) {
        problems.push(`option "${key}": ${(err as Error).message} (allowed: ${setting.allowed})`);
      }
      continue;
    }
    const raw = env[setting.env];
    if (raw !== undefined && raw.trim() !== '') {
      const shown = isSecret(setting) ? `<${raw.length} characters, not shown>` : JSON.stringify(raw);
      if (setting.lenient) {
        const { value, warning } = setting.lenient(raw);
        out[key] = value;
        if (warning) reportOnce(`env:${setting.env}`, `${setting.env}=${shown}: ${warning}`);
        continue;
      }
      try {
        out[key] = setting.fromEnv(raw);
      } catch (err) {
        const problem = `${setting.env}=${shown}: ${(err as Error).message} (allowed: ${setting.allowed})`;
        if (mode === 'operator') {
          problems.push(problem);
        } else {
          const safe = setting.whenInvalid !== undefined ? setting.whenInvalid : typeof setting.default === 'function' ? (setting.default as () => unknown)() : setting.default;
          out[key] = safe;
          reportOnce(`env:${setting.env}`, `${problem}; using ${safe === undefined ? 'no value' : JSON.stringify(safe)} instead`);
        }
      }
      continue;
    }
    out[key] = typeof setting.default === 'function' ? (setting.default as () => unknown)() : setting.default;
  }
  if (problems.length > 0) throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(out) as SettingsValues<S>;
}
