// Server side of bench/server.mjs, run as a child process: `node --import tsx bench/server-child.mjs <ours|baseline|ackwrite|ref> <dir> [refDir]`
// (ref: the collector of the checkout at refDir).
// Sends {url} over IPC once listening; answers {peakRss} to a 'report' message, then exits on 'stop'.
import { createServer } from 'node:http';
import { mkdirSync, openSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';

const [mode, dir, refDir] = process.argv.slice(2);
let peakRss = process.memoryUsage.rss();
setInterval(() => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
}, 50).unref();

const MAX = 4 * 1024 * 1024;

/** The baseline: a raw node:http server that only JSON.parses and appends the same lines (no validation, no rules). */
function startBaseline() {
  mkdirSync(dir, { recursive: true });
  const fds = new Map();
  const fdFor = (s) => {
    let fd = fds.get(s);
    if (fd === undefined) fds.set(s, (fd = openSync(join(dir, `${s}.jsonl`), 'a')));
    return fd;
  };
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX) {
        res.writeHead(413).end();
        return;
      }
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const out = new Map();
      for (const e of events) {
        const line = JSON.stringify({ ts: new Date(e.timestamp ?? Date.now()).toISOString(), scenario: e.scenario, deployment_id: e.deployment_id, event: e.event, details: e.details, id: randomUUID() }) + '\n';
        out.set(e.scenario, (out.get(e.scenario) ?? '') + line);
      }
      for (const [s, text] of out) writeSync(fdFor(s), text);
      const body = JSON.stringify({ status: 'accepted', events_received: events.length, events_stored: events.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) })));
}

/**
 * The second baseline, "ack after write": a raw node:http server that JSON.parses the body, checks only that each
 * event has an event name, appends one line per event (with an id) and answers only after the lines are written: one
 * asynchronous fs.write per scenario per request to `{dir}/{scenario}.jsonl` (O_APPEND), the collector's durability
 * promise (acknowledged = written, not fsync'ed) without its validation, rules, summaries or de-duplication.
 */
function startAckAfterWrite() {
  mkdirSync(dir, { recursive: true });
  const fds = new Map();
  const fdFor = (s) => {
    let fd = fds.get(s);
    if (fd === undefined) fds.set(s, (fd = openSync(join(dir, `${s}.jsonl`), 'a')));
    return fd;
  };
  /** Write all of buf (a short write continues where it stopped), then done(err). */
  const writeAll = (fd, buf, off, done) =>
    write(fd, buf, off, buf.length - off, null, (err, n) => (err ? done(err) : off + n < buf.length ? writeAll(fd, buf, off + n, done) : done(null)));
  const fail = (res, status, message) => {
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX) return fail(res, 413, 'too large');
      let events;
      try {
        events = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'not JSON');
      }
      if (!Array.isArray(events)) return fail(res, 400, 'not an array');
      const out = new Map();
      let stored = 0;
      for (const e of events) {
        if (e === null || typeof e !== 'object' || typeof e.event !== 'string' || e.event === '') continue;
        const scenario = typeof e.scenario === 'string' ? e.scenario : 'default';
        const line = JSON.stringify({ ts: e.timestamp ?? new Date().toISOString(), scenario, deployment_id: e.deployment_id, event: e.event, details: e.details, id: randomUUID() }) + '\n';
        out.set(scenario, (out.get(scenario) ?? '') + line);
        stored++;
      }
      let left = out.size;
      let failed = null;
      const answer = () => {
        if (failed) return fail(res, 500, failed.message);
        const body = JSON.stringify({ status: 'accepted', events_received: events.length, events_stored: stored });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      };
      if (left === 0) return answer();
      for (const [s, text] of out) {
        writeAll(fdFor(s), Buffer.from(text, 'utf8'), 0, (err) => {
          if (err) failed ??= err;
          if (--left === 0) answer();
        });
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) })));
}

async function startOurs() {
  const { startCollector } = await import(mode === 'ref' ? pathToFileURL(join(refDir, 'collector/index.ts')).href : '../collector/index.ts');
  const c = await startCollector({ port: 0, host: '127.0.0.1', dir, env: {} });
  return { url: c.url, close: () => c.close() };
}

const server = mode === 'ours' || mode === 'ref' ? await startOurs() : mode === 'ackwrite' ? await startAckAfterWrite() : await startBaseline();
process.send({ url: server.url });
let cpuMark = process.cpuUsage();
process.on('message', async (m) => {
  // CPU time of this server process since the last mark (user + system, µs): robust to a busy machine.
  if (m === 'mark') cpuMark = process.cpuUsage();
  if (m === 'report') {
    const d = process.cpuUsage(cpuMark);
    process.send({ peakRss, cpuMicros: d.user + d.system });
  }
  if (m === 'stop') {
    await server.close();
    process.exit(0);
  }
});
