/**
 * Colours for human output. On only when the stream is a terminal, unless `NO_COLOR` (any non-empty value,
 * https://no-color.org) turns them off or `FORCE_COLOR` (non-empty, not `0`) turns them on for a pipe.
 * Plain ANSI SGR codes: nothing here needs a dependency.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const CODES = { red: [31, 39], yellow: [33, 39], green: [32, 39], cyan: [36, 39], magenta: [35, 39], dim: [2, 22], bold: [1, 22] } as const;
export type StyleName = keyof typeof CODES;

export type Painter = (style: StyleName, text: string) => string;

export function painter(enabled: boolean): Painter {
  if (!enabled) return (_style, text) => text;
  return (style, text) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`;
}
