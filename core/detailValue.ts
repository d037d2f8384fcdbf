/**
 * A top-level `details` value as text, the insights grouping rule (query/insights/types.ts): strings as they are,
 * numbers and booleans by `String()`, anything else (objects, arrays, null) is no value. It lives in core because two
 * layers apply it: the insights reference and rollups (query/, collector/) and the ClickHouse writers (exporters/),
 * which store the values in columns SQL groups by — one rule, one place.
 */
export function detailGroup(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}
