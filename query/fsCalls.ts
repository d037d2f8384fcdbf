import { close, constants, fstat, open, readdir, stat, type Stats } from 'node:fs';

// The few file calls `logs` makes, as promises over the callback API: node:fs/promises (and timers/promises) are
// not loaded when Node starts, and loading them (fs/promises pulls in readline) was a visible share of the CLI's
// start-up, which the `logs` benchmark counts.

// A store file is opened without following a symlink in its last component (ELOOP instead) and without blocking: a
// FIFO or device planted in the data dir would otherwise hold a libuv pool thread in open() until a writer came.
// The caller then checks with fstat that it is a regular file (readFile.ts). 0 where the flag does not exist.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export const openRead = (path: string): Promise<number> => new Promise((resolve, reject) => open(path, READ_FLAGS, (err, fd) => (err ? reject(err) : resolve(fd))));
export const fstatFd = (fd: number): Promise<Stats> => new Promise((resolve, reject) => fstat(fd, (err, s) => (err ? reject(err) : resolve(s))));
export const statPath = (path: string): Promise<Stats> => new Promise((resolve, reject) => stat(path, (err, s) => (err ? reject(err) : resolve(s))));
export const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));
export const readdirNames = (dir: string): Promise<string[]> => new Promise((resolve, reject) => readdir(dir, (err, names) => (err ? reject(err) : resolve(names))));

