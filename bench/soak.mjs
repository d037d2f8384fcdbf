#!/usr/bin/env node
/**
 * Soak: real apps uploading to a real collector while both sides crash, then a count of every event by id.
 *
 *   node bench/soak.mjs [--minutes 2] [--clients 3] [--rate 25] [--seed 1] [--store-max-bytes 524288]
 *                       [--segment-grace-ms 5000] [--keep]
 *
 * - N client apps (bench/soak-app.ts: the package's `register` entry, TELEMETRY_UPLOAD_URL → the collector), each
 *   with its own data dir kept across its restarts. Each run of a client lasts 3-12 s and ends at random: SIGKILL
 *   (40%), an uncaught exception that crash capture records (20%), or SIGTERM (40%, register flushes and re-raises);
 *   it is restarted after 0.2-1 s.
 * - The collector (the CLI's `serve`, fixed port, one data dir) is killed with SIGKILL at random (every
 *   15-40 s, restarted after 0.2-2 s) and kept down for an outage window (from 40% of the run, 15% of it long,
 *   at least 10 s).
 * - At the end, emitting stops, the collector is up, and every client dir is drained by one more run of the app
 *   (SOAK_DRAIN=1: upload until nothing is pending). Then the collector is stopped with SIGTERM and ids are counted:
 *     recorded             distinct ids the clients durably wrote to their stores (tailed while running, see below)
 *     delivered            distinct ids in the collector's store
 *     duplicated-in-store  ids stored more than once by the collector
 *     lost                 recorded but not delivered
 *   plus quarantined (ids the uploaders set aside) and delivered-not-recorded. Target: lost 0, duplicated 0.
 * Exit code 0 when lost and duplicated-in-store are 0, 1 otherwise. Everything runs in a temp dir, removed unless
 * --keep. Not run in CI (bounded, but minutes long); --minutes 30 for a long run.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : def;
}
const minutes = arg('minutes', 2);
const clients = arg('clients', 3);
const rate = arg('rate', 25);
const keep = process.argv.includes('--keep');
const storeMaxBytes = arg('store-max-bytes', 512 * 1024);
const segmentGraceMs = arg('segment-grace-ms', 5000);
let seed = arg('seed', Date.now() % 100_000);
const initialSeed = seed;
// mulberry32: a seeded generator, so a run's schedule can be replayed with --seed.
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (a, b) => a + random() * (b - a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);

const base = mkdtempSync(join(tmpdir(), 'opt-soak-'));
const serverDir = join(base, 'collector');
const clientDirs = Array.from({ length: clients }, (_, k) => join(base, `client-${k}`));
const port = await freePort();
const url = `http://127.0.0.1:${port}/api/v1/telemetry/upload`;
const t0 = Date.now();
const durationMs = minutes * 60_000;
const outage = { from: durationMs * 0.4, to: durationMs * 0.4 + Math.max(10_000, durationMs * 0.15) };

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

/** Environment without outside TELEMETRY_/OTEL_ settings, plus `env`. */
function cleanEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(TELEMETRY_|OTEL_|DO_NOT_TRACK$|NODE_OPTIONS$)/.test(k)) out[k] = v;
  return { ...out, ...env };
}

/** The collector as its own process: the CLI's `serve` from source, the one way to start it. */
const SERVE = ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'serve'];

/** A .ts file through tsx, or node with the given arguments (SERVE). */
function start(file, env) {
  const child = spawn(process.execPath, Array.isArray(file) ? file : ['--import', 'tsx', file], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { child, stdout: '', stderr: '', exited: new Promise((r) => child.on('close', (code, signal) => r({ code, signal }))) };
  child.stdout.on('data', (d) => (p.stdout = (p.stdout + d).slice(-20_000)));
  child.stderr.on('data', (d) => (p.stderr = (p.stderr + d).slice(-20_000)));
  return p;
}

async function waitFor(p, pattern, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pattern.test(p.stdout)) return true;
    if (p.child.exitCode !== null || p.child.signalCode !== null) return false;
    await sleep(25);
  }
  return false;
}

// ---- collector ----
const stats = { collectorKills: 0, clientRuns: 0, sigkill: 0, crash: 0, sigterm: 0 };
let collector;
async function startCollector() {
  collector = start(SERVE, { NO_COLOR: '1', TELEMETRY_PORT: String(port), TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: serverDir });
  if (!(await waitFor(collector, /listening on/, 30_000))) throw new Error(`collector did not start:\n${collector.stdout}\n${collector.stderr}`);
}
async function killCollector() {
  collector.child.kill('SIGKILL');
  await collector.exited;
  stats.collectorKills++;
}

let stopping = false;
async function collectorChaos() {
  let inOutage = false;
  let nextKill = between(15_000, 40_000);
  while (!stopping) {
    const t = Date.now() - t0;
    if (!inOutage && t >= outage.from && t < outage.to) {
      inOutage = true;
      await killCollector();
      log(`collector killed (SIGKILL): outage until ${(outage.to / 1000).toFixed(0)} s`);
    } else if (inOutage && t >= outage.to) {
      inOutage = false;
      await startCollector();
      log('collector back after the outage');
      nextKill = t + between(15_000, 40_000);
    } else if (!inOutage && t >= nextKill) {
      await killCollector();
      await sleep(between(200, 2000));
      await startCollector();
      log(`collector killed (SIGKILL) and restarted (${stats.collectorKills} kills)`);
      nextKill = Date.now() - t0 + between(15_000, 40_000);
    }
    await sleep(100);
  }
  if (inOutage || collector.child.exitCode !== null || collector.child.signalCode !== null) await startCollector();
}

// ---- clients ----
function clientEnv(k, extra) {
  return {
    TELEMETRY_ENABLED: 'true',
    TELEMETRY_ENVIRONMENT: 'production',
    TELEMETRY_DIR: clientDirs[k],
    TELEMETRY_SCENARIO: `soak-client-${k}`,
    TELEMETRY_FLUSH_INTERVAL_MS: '50',
    TELEMETRY_SHUTDOWN_TIMEOUT_MS: '2000',
    TELEMETRY_UPLOAD_URL: url,
    TELEMETRY_UPLOAD_INTERVAL_MS: '250',
    TELEMETRY_UPLOAD_BATCH_SIZE: '200',
    TELEMETRY_UPLOAD_BACKOFF_MS: '100',
    TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '2000',
    TELEMETRY_UPLOAD_TIMEOUT_MS: '3000',
    // A small store cap, so rotation, deletion of sent segments and tail rewrites all happen under the kills
    // (rotation once 64 KiB are sent); the tailer below reads every line before it can be removed.
    TELEMETRY_STORE_SEGMENT_GRACE_MS: String(segmentGraceMs),
    TELEMETRY_STORE_MAX_BYTES: String(storeMaxBytes),
    ...extra,
  };
}

async function clientLoop(k) {
  let gen = 0;
  while (Date.now() - t0 < durationMs) {
    const runMs = between(3000, 12_000);
    const fate = random();
    const kind = fate < 0.4 ? 'sigkill' : fate < 0.6 ? 'crash' : 'sigterm';
    const p = start(join(ROOT, 'bench/soak-app.ts'), clientEnv(k, { SOAK_RATE: String(rate), SOAK_GEN: `${k}.${gen}`, ...(kind === 'crash' && { SOAK_CRASH_AT_MS: String(Math.round(runMs)) }) }));
    stats.clientRuns++;
    gen++;
    const end = await Promise.race([p.exited, sleep(runMs + (kind === 'crash' ? 5000 : 0)).then(() => undefined)]);
    if (end === undefined) p.child.kill(kind === 'sigterm' ? 'SIGTERM' : 'SIGKILL');
    const { code, signal } = await p.exited;
    stats[kind]++;
    if (kind === 'crash' && code !== 1) log(`client ${k}: planned crash ended with code ${code} signal ${signal}\n${p.stderr.slice(-800)}`);
    await sleep(between(200, 1000));
  }
}

async function drain(k) {
  const p = start(join(ROOT, 'bench/soak-app.ts'), clientEnv(k, { SOAK_DRAIN: '1', SOAK_DRAIN_MS: '90000' }));
  const { code } = await p.exited;
  const m = /drained (.*)/.exec(p.stdout);
  const status = m ? JSON.parse(m[1]) : undefined;
  if (code !== 0 || !status || status.pending_bytes !== 0) log(`client ${k}: drain ended with code ${code}: ${m ? m[1] : p.stdout + p.stderr}`);
  return status;
}

// ---- counting ----
function idsIn(dir, filter) {
  const ids = [];
  if (!existsSync(dir)) return ids;
  for (const name of readdirSync(dir)) {
    if (!filter(name)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const v = JSON.parse(line);
        if (typeof v.id === 'string') ids.push(`${v.scenario}/${v.id}`);
      } catch {
        // a line torn by SIGKILL mid-write was never durably recorded
      }
    }
  }
  return ids;
}
const storeFile = (name) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.jsonl(\.\d+)?$/.test(name);

/**
 * What the clients durably recorded: every complete line that ever appears in a client's store files, read
 * incrementally while the soak runs (every 300 ms) and once more at the end. Compaction removes sent lines (deleted
 * segments, rewritten tails) seconds after they were written at the earliest, so the tailer sees each line; a file is
 * known by inode and first bytes (a rewritten tail is a new file, read from its start; ids are counted once).
 */
const recorded = new Set();
const tailOffsets = new Map();
function tailClients() {
  for (const dir of clientDirs) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!storeFile(name)) continue;
      const path = join(dir, name);
      let fd;
      try {
        fd = openSync(path, 'r');
        const st = fstatSync(fd);
        const head = Buffer.alloc(Math.min(120, st.size));
        readSync(fd, head, 0, head.length, 0);
        const key = `${st.ino}:${head.toString('latin1')}`;
        const from = tailOffsets.get(key) ?? 0;
        if (st.size <= from) continue;
        const buf = Buffer.alloc(st.size - from);
        readSync(fd, buf, 0, buf.length, from);
        const end = buf.lastIndexOf(0x0a);
        if (end === -1) continue;
        for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
          try {
            const v = JSON.parse(line);
            if (typeof v.id === 'string') recorded.add(`${v.scenario}/${v.id}`);
          } catch {
            // torn by a SIGKILL mid-write: never durably recorded
          }
        }
        tailOffsets.set(key, from + end + 1);
      } catch {
        // removed between readdir and open: its lines were read on an earlier pass
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  }
}

// ---- run ----
log(`soak: ${minutes} min, ${clients} clients at ${rate} events/s, seed ${initialSeed}, dir ${base}`);
let exitCode = 1;
try {
  await startCollector();
  const tailer = setInterval(tailClients, 300);
  const chaos = collectorChaos();
  await Promise.all(clientDirs.map((_, k) => clientLoop(k)));
  stopping = true;
  await chaos;
  log(`emitting stopped; draining ${clients} client stores`);
  const drained = await Promise.all(clientDirs.map((_, k) => drain(k)));
  clearInterval(tailer);
  tailClients();
  collector.child.kill('SIGTERM');
  await collector.exited;

  const quarantined = new Set(clientDirs.flatMap((d) => idsIn(join(d, 'quarantine'), (n) => n.endsWith('.jsonl'))));
  const storedList = idsIn(serverDir, storeFile);
  const delivered = new Set(storedList);
  const duplicated = storedList.length - delivered.size;
  const lost = [...recorded].filter((id) => !delivered.has(id));
  const extra = [...delivered].filter((id) => !recorded.has(id));
  // What is still in the clients' stores at the end (the rest was sent and compacted away).
  const localList = clientDirs.flatMap((d) => idsIn(d, storeFile));
  const localTwice = localList.length - new Set(localList).size;
  log(
    `runs: ${stats.clientRuns} client runs (${stats.sigkill} SIGKILL, ${stats.crash} uncaught-exception crashes, ${stats.sigterm} SIGTERM), ` +
      `collector: ${stats.collectorKills} SIGKILLs incl. an outage of ${((outage.to - outage.from) / 1000).toFixed(0)} s`,
  );
  log(`uploader status after drain: ${drained.map((s, k) => `client ${k}: sent ${s?.sent_events ?? '?'}, pending ${s?.pending_bytes ?? '?'} B, quarantined ${s?.quarantined_events ?? '?'}, invalid lines ${s?.invalid_lines ?? '?'}`).join('; ')}`);
  process.stdout.write(
    `\nrecorded ${recorded.size}\ndelivered ${delivered.size}\nduplicated-in-store ${duplicated}\nlost ${lost.length}\n` +
      `quarantined ${quarantined.size}\ndelivered-not-recorded ${extra.length}\nstill-in-client-stores ${localList.length} (held twice: ${localTwice})\n`,
  );
  if (lost.length > 0) process.stdout.write(`first lost: ${lost.slice(0, 10).join(', ')}\n`);
  if (extra.length > 0) process.stdout.write(`first delivered-not-recorded: ${extra.slice(0, 10).join(', ')}\n`);
  exitCode = lost.length === 0 && duplicated === 0 ? 0 : 1;
} catch (err) {
  process.stderr.write(`soak failed: ${err.stack ?? err}\n`);
} finally {
  stopping = true;
  collector?.child.kill('SIGKILL');
  if (!keep && exitCode === 0) rmSync(base, { recursive: true, force: true });
  else process.stdout.write(`data kept in ${base}\n`);
}
process.exit(exitCode);
