/** lines.wat compiled to WebAssembly, as base64 (what query/linesWasm.ts holds). */
export function compileLinesWat(): Promise<string>;
