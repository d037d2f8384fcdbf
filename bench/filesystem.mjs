// What a benchmark's data directory sits on, printed beside its figures: the filesystem changes what ClickHouse's
// writes cost (README, "Ingest, fifth change"). On ext4 without a journal, every new inode is checked against the
// inodes deleted in the last minutes (`recently_deleted` in the kernel's fs/ext4/ialloc.c runs only when there is no
// journal), and ClickHouse creates some 50 files per INSERT and deletes the parts its merges replaced; the JSONL
// store creates a few files per run.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';

/** `/tmp on /dev/vda (ext4, no journal)`, from /proc; undefined fields are left out off Linux. */
export function describeFilesystem(dir) {
  let path;
  try {
    path = realpathSync(dir);
  } catch {
    return dir;
  }
  let best;
  try {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [device, mountPoint, type] = line.split(' ');
      if (mountPoint === undefined) continue;
      const m = mountPoint.replace(/\\040/g, ' ');
      const inside = path === m || path.startsWith(m.endsWith('/') ? m : m + '/');
      if (inside && (best === undefined || m.length >= best.mountPoint.length)) best = { device, mountPoint: m, type };
    }
  } catch {
    return dir;
  }
  if (best === undefined) return dir;
  let what = best.type;
  if (best.type === 'ext4' || best.type === 'ext3') {
    // jbd2 lists one directory per journal, named `<device>-<journal inode>`.
    const dev = basename(best.device);
    const journals = existsSync('/proc/fs/jbd2') ? readdirSync('/proc/fs/jbd2') : [];
    what += journals.some((j) => j.startsWith(`${dev}-`)) ? ', with a journal' : ', no journal';
  }
  return `${dir} on ${best.device} (${what})`;
}
