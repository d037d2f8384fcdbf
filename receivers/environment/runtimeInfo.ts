/** The JavaScript runtime and platform, in semantic-convention values (`process.runtime.*`, `os.type`, `host.arch`). */
export interface RuntimeInfo {
  /** `process.runtime.name`: `nodejs`, `bun` or `deno`. */
  readonly name: string;
  /** `process.runtime.description`, and the report's `runtime.vendor`: `Node.js`, `Bun` or `Deno`. */
  readonly vendor: string;
  /** `process.runtime.version`, e.g. `20.20.2`. */
  readonly version: string;
  /** `os.type`: `linux`, `darwin`, `windows`, ... */
  readonly osType: string;
  /** `host.arch`: `amd64`, `arm64`, ... */
  readonly arch: string;
}

// process.platform / process.arch → the semantic conventions' enumerations.
const OS_TYPE: Record<string, string> = { win32: 'windows', sunos: 'solaris', os390: 'z_os' };
const ARCH: Record<string, string> = { x64: 'amd64', arm: 'arm32', ia32: 'x86', ppc: 'ppc32', ppc64: 'ppc64', s390x: 's390x', arm64: 'arm64' };

let cached: RuntimeInfo | undefined;

export function runtimeInfo(): RuntimeInfo {
  if (cached) return cached;
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  let name = 'nodejs';
  let vendor = 'Node.js';
  let version = versions.node;
  if (versions.bun) [name, vendor, version] = ['bun', 'Bun', versions.bun];
  else if (versions.deno) [name, vendor, version] = ['deno', 'Deno', versions.deno];
  cached = Object.freeze({
    name,
    vendor,
    version,
    osType: OS_TYPE[process.platform] ?? process.platform,
    arch: ARCH[process.arch] ?? process.arch,
  });
  return cached;
}
