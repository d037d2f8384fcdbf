// Summarises V8 .cpuprofile files (from `node --cpu-prof`, e.g. `node bench/server.mjs --cpu-prof DIR`): self time by
// function (top N), self time by file (node_modules files grouped by package, node internals as node:*), and the
// inclusive time of chosen functions (each counted once per sample, so recursion is not counted twice). Shares are of
// the busy time (all samples except (idle)). Several files (or a dir) are added together. In a dir, only main-thread
// profiles are read (CPU.<date>.<time>.<pid>.0.<n>.cpuprofile; tsx's loader thread writes a .1. one) unless --all-threads.
// --skip-ms N leaves out each profile's first N ms (start-up, module loading, warm-up), so the figures are the load.
// Run: node bench/profile-summary.mjs <file.cpuprofile|dir>... [--top 25] [--files 15] [--skip-ms 0] [--all-threads]
//        [--focus appendSync,emit,...] [--under exportSync] [--events N]
// --focus: inclusive time of these functions; --under F: the self time spent inside F (F and its callees) by function.
// A function is named `name` or `name@text`, text a part of its file's URL (`emit@sdk-logs` is the SDK Logger's emit,
// not EventEmitter's);
// --events N: events stored in the window profiled, to print µs per event.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    files: { type: 'string', default: '15' },
    focus: { type: 'string', default: '' },
    under: { type: 'string' },
    events: { type: 'string' },
    'skip-ms': { type: 'string', default: '0' },
    'all-threads': { type: 'boolean', default: false },
  },
});
if (positionals.length === 0) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile|dir>... [--top 25] [--files 15] [--skip-ms 0] [--all-threads] [--focus fn,fn] [--under fn] [--events N]');
  process.exit(2);
}
const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const mainThread = (f) => args['all-threads'] || !/^CPU\.\d+\.\d+\.\d+\.\d+\./.test(f) || /^CPU\.\d+\.\d+\.\d+\.0\./.test(f);
const paths = positionals.flatMap((p) =>
  statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile') && mainThread(f)).sort().map((f) => join(p, f)) : [p],
);
const SKIP_US = Number(args['skip-ms']) * 1000;
const focus = args.focus ? args.focus.split(',').map((s) => s.trim()).filter(Boolean) : [];
/** Does the call frame match `name` or `name@url-part`? */
function matches(spec, cf) {
  const at = spec.indexOf('@', 1);
  if (at < 0) return cf.functionName === spec;
  return cf.functionName === spec.slice(0, at) && cf.url.includes(spec.slice(at + 1));
}

/** A short file label: the package for node_modules, node:* for internals, else the path relative to the repo. */
function fileOf(url) {
  if (!url) return '(native / vm)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal/' + url.split('/')[1] : url;
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    // keep the url
  }
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return `${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]} (node_modules)`;
  }
  return path.startsWith('/') ? relative(ROOT, path) : path;
}

const selfByFn = new Map(); // key → µs
const selfByFile = new Map();
const selfUnder = new Map(); // key → µs, only samples with args.under on the stack
let underTotal = 0;
const inclusive = new Map(focus.map((f) => [f, 0]));
let total = 0;
let idle = 0;
for (const p of paths) {
  const prof = JSON.parse(readFileSync(p, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampleTime = new Map(); // node id → µs of samples landing there
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    const d = prof.timeDeltas[i + 1] ?? 0; // the delta that follows a sample is the time it stands for
    if (t - prof.startTime < SKIP_US) continue;
    sampleTime.set(prof.samples[i], (sampleTime.get(prof.samples[i]) ?? 0) + d);
  }
  for (const [id, us] of sampleTime) {
    const n = byId.get(id);
    const cf = n.callFrame;
    total += us;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const file = fileOf(cf.url);
    const key = `${cf.functionName || '(anonymous)'}  ${file}${cf.url && cf.lineNumber > 0 ? `:${cf.lineNumber + 1}` : ''}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + us);
    if (args.under !== undefined) {
      let a = id;
      while (a !== undefined && !matches(args.under, byId.get(a).callFrame)) a = parent.get(a);
      if (a !== undefined) {
        selfUnder.set(key, (selfUnder.get(key) ?? 0) + us);
        underTotal += us;
      }
    }
    if (focus.length > 0) {
      const seen = new Set();
      for (let a = id; a !== undefined; a = parent.get(a)) {
        const cf = byId.get(a).callFrame;
        for (const name of focus) {
          if (!seen.has(name) && matches(name, cf)) {
            seen.add(name);
            inclusive.set(name, inclusive.get(name) + us);
          }
        }
      }
    }
  }
}
const busy = total - idle;
const events = args.events === undefined ? undefined : Number(args.events);
const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const pct = (us) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
const perEvent = (us) => (events ? `  ${(us / events).toFixed(2).padStart(6)} µs/event` : '');
console.log(`# ${paths.length} profile(s): ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (not idle)${events ? `, ${events} events` : ''}`);
console.log(`\n## top ${args.top} functions by self time (share of busy time)`);
for (const [key, us] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`${ms(us)} ${pct(us)}${perEvent(us)}  ${key}`);
console.log(`\n## self time by file (top ${args.files})`);
for (const [file, us] of [...selfByFile].sort((a, b) => b[1] - a[1]).slice(0, Number(args.files))) console.log(`${ms(us)} ${pct(us)}${perEvent(us)}  ${file}`);
if (focus.length > 0) {
  console.log('\n## inclusive time (the function and everything it calls)');
  for (const [name, us] of inclusive) console.log(`${ms(us)} ${pct(us)}${perEvent(us)}  ${name}`);
}
if (args.under !== undefined) {
  console.log(`\n## self time inside ${args.under} (${ms(underTotal).trim()}, ${pct(underTotal).trim()} of busy time), top ${args.top}`);
  for (const [key, us] of [...selfUnder].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`${ms(us)} ${pct(us)}${perEvent(us)}  ${key}`);
}
