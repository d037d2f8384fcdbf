// Runs every benchmark one after another (never in parallel: they would measure each other) and prints their
// output. `npm run bench` builds first. Pass names to run a subset: node bench/run.mjs pipeline server
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const all = {
  pipeline: ['--expose-gc', 'pipeline.mjs'],
  server: ['server.mjs'],
  upload: ['--import', 'tsx', 'upload.mjs'],
  logs: ['logs.mjs'],
  usage: ['--import', 'tsx', '--expose-gc', 'usage.ts'],
  clickhouse: ['clickhouse.mjs'],
  cluster: ['cluster.mjs'],
  import: ['import.mjs'],
  dashboard: ['--import', 'tsx', 'dashboard.mjs'],
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
let failed = 0;
for (const name of wanted) {
  const args = all[name];
  if (!args) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  const file = args[args.length - 1];
  console.log(`\n===== ${name} (${file}) =====`);
  const r = spawnSync(process.execPath, [...args.slice(0, -1), join(here, file)], { stdio: 'inherit', cwd: join(here, '..') });
  if (r.status !== 0) failed++;
}
if (failed) process.exitCode = 1;
