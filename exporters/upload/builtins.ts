import { createRequire } from 'node:module';

interface Builtins {
  'node:http': typeof import('node:http');
  'node:https': typeof import('node:https');
  'node:tls': typeof import('node:tls');
  'node:net': typeof import('node:net');
  'node:zlib': typeof import('node:zlib');
}

let load: NodeJS.Require | undefined;

/**
 * Node's network and compression modules, loaded the first time an upload needs them rather than when the package is
 * imported: most apps never upload, and every app pays at start-up for what the package loads (node:https ~1 MB of
 * RSS; node:zlib and node:net a few ms of a host app's import, bench/import.mjs). `require` of a built-in is
 * synchronous and cached by Node, so later calls cost a lookup.
 */
export function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  load ??= createRequire(import.meta.url);
  return load(name) as Builtins[K];
}
