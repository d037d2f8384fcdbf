import { close, fstat, open, readdir, stat, type Stats } from 'node:fs';

// The few file calls `logs` makes, as promises over the callback API: node:fs/promises (and timers/promises) are
// not loaded when Node starts, and loading them (fs/promises pulls in readline) was a visible share of the CLI's
// start-up, which the `logs` benchmark counts.

export const openRead = (path: string): Promise<number> => new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
export const fstatFd = (fd: number): Promise<Stats> => new Promise((resolve, reject) => fstat(fd, (err, s) => (err ? reject(err) : resolve(s))));
export const statPath = (path: string): Promise<Stats> => new Promise((resolve, reject) => stat(path, (err, s) => (err ? reject(err) : resolve(s))));
export const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));
export const readdirNames = (dir: string): Promise<string[]> => new Promise((resolve, reject) => readdir(dir, (err, names) => (err ? reject(err) : resolve(names))));

