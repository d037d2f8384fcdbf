/** lines.wat compiled to WebAssembly, as base64 (what cli/logs/linesWasm.ts holds). */
export function compileLinesWat(): Promise<string>;
