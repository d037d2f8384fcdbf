export { captureCrashes } from './captureCrashes.js';
export type { CaptureCrashesOptions } from './captureCrashes.js';
