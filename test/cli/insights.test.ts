import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TelemetryLine } from '../../core/record.js';
import type { InsightsAnswer } from '../../query/insights/types.js';
import { cleanEnv, runNode, tmpDir } from '../helpers.js';
import { APP, argsOf, BUILT, CASES, expected, insights, linesOf, makeEvents, NEUTRAL, skipBuilt } from './insightsData.js';

// `otel-product-telemetry insights` end to end: the built CLI (dist/cli.cjs, `npm run build`) in a child process, on a
// data dir written by the real pipeline (an app run three times, a reinstall between runs, the uploader's rotation)
// (insightsUrl.test.ts: against a real collector); every JSON answer is compared with computeInsights over the same lines.

describe.skipIf(skipBuilt !== undefined)('insights over a data dir the pipeline wrote', { timeout: 240_000 }, () => {
  const dir = tmpDir('opt-cli-insights-');
  let files: string[] = [];
  let lines: TelemetryLine[] = [];

  beforeAll(async () => {
    // Three runs of the app = three installations (the id file removed between runs, as a reinstall does); after the
    // second run the uploader's compaction is imitated: the active file becomes a rotated segment.
    const runs = [makeEvents(300, 1), makeEvents(250, 2), makeEvents(200, 3)];
    for (const [i, events] of runs.entries()) {
      const r = await runNode(APP, { env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, TELEMETRY_SCENARIO: 'picker-wheel' }, input: JSON.stringify(events) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      rmSync(join(dir, 'installation-id'));
      if (i === 1) renameSync(join(dir, 'picker-wheel.jsonl'), join(dir, 'picker-wheel.jsonl.1736900000000'));
    }
    // A write cut short by a crash: a torn last line.
    appendFileSync(join(dir, 'picker-wheel.jsonl'), '{"ts":"2025-01-05T00:00:00.000Z","scenario":"picker-wheel","ev');
    files = [join(dir, 'picker-wheel.jsonl.1736900000000'), join(dir, 'picker-wheel.jsonl')];
    lines = linesOf(files);
    expect(lines).toHaveLength(750);
    expect(new Set(lines.map((l) => l.installation_id)).size).toBe(3);
  });

  it.each(CASES.map((c) => [argsOf(c).join(' '), c] as const))('--format json %s equals computeInsights over the same lines', async (_, params) => {
    const r = await insights(['picker-wheel', '--dir', dir, '--format', 'json', ...argsOf(params)]);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as InsightsAnswer;
    expect(answer).toEqual(await expected('picker-wheel', params, lines));
    expect(answer.total_events).toBeGreaterThan(0);
    // The torn line was reported, once, with its file and line number.
    expect(r.stderr).toMatch(/picker-wheel\.jsonl:201: torn or invalid line skipped\n$/);
  });

  it('relative --since counts back from now, widened to whole buckets; TELEMETRY_FAILURE_EVENTS decides the failures', async () => {
    const before = Date.now();
    const r = await insights(['picker-wheel', '--dir', dir, '--format', 'json', '--since', '1500d', '--bucket', 'week', '--by', 'version'], { TELEMETRY_FAILURE_EVENTS: 'export,shutdown' });
    const after = Date.now();
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as InsightsAnswer;
    // The CLI's "now" lies between the two clocks; a week boundary between them is the only way both could differ.
    const candidates = await Promise.all([before, after].map((now) => expected('picker-wheel', { from: '1500d', bucket: 'week', by: 'version' }, lines, now, ['export', 'shutdown'])));
    expect(candidates).toContainEqual(answer);
    expect(answer.failures).toBe(lines.filter((l) => l.event === 'export' || l.event === 'shutdown').length);
    expect(new Date(answer.from).getUTCDay()).toBe(1); // a Monday: whole ISO weeks
  });

  it('table: a row per bucket with the same numbers as the JSON answer, and the totals row', async () => {
    const params = CASES[0]!;
    const [json, table] = await Promise.all([
      insights(['picker-wheel', '--dir', dir, '--format', 'json', ...argsOf(params)]),
      insights(['picker-wheel', '--dir', dir, ...argsOf(params)]),
    ]);
    expect(table.code, table.stderr).toBe(0);
    const a = JSON.parse(json.stdout) as InsightsAnswer;
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(`picker-wheel: ${a.total_events} events by version per day, from ${a.from} to ${a.to}`);
    const head = rows.findIndex((l) => l.startsWith('DAY (UTC)'));
    expect(rows[head]!.split(/\s{2,}/)).toEqual(['DAY (UTC)', ...a.groups, 'TOTAL', 'INSTALLATIONS', 'FAILURES']);
    a.buckets.forEach((b, i) => {
      const cells = rows[head + 1 + i]!.split(/\s+/);
      expect(cells).toEqual([b.start.slice(0, 10), ...a.groups.map((g) => String(b.counts[g])), String(b.total), String(b.installations.count), String(b.failures)]);
    });
    expect(rows[head + 1 + a.buckets.length]).toMatch(/^-+( +-+)+$/);
    expect(rows[head + 2 + a.buckets.length]!.split(/\s+/)).toEqual(['total', ...a.groups.map((g) => String(a.totals[g])), String(a.total_events), '3', String(a.failures)]);
    expect(table.stdout).not.toContain('\u001b[');
  });

  it('chart in a pipe: plain ASCII, 80 columns or COLUMNS, the totals of the answer', async () => {
    const params = CASES[0]!;
    const a = await expected('picker-wheel', params, lines);
    for (const columns of [undefined, '48', '150']) {
      const r = await insights(['picker-wheel', '--dir', dir, '--format', 'chart', ...argsOf(params)], { COLUMNS: columns });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^[\x20-\x7e\n]+$/);
      const out = r.stdout.trimEnd().split('\n');
      expect(Math.max(...out.map((l) => l.length))).toBe(Number(columns ?? 80)); // the largest bar fills the line
      expect(out.find((l) => l.startsWith('events '))).toMatch(new RegExp(` ${a.total_events}$`));
      expect(out.find((l) => l.startsWith('installations '))).toMatch(/ 3$/);
      for (const g of a.groups) expect(out.filter((l) => l.startsWith(`${g} `)).map((l) => (/ (\d+)(?: +#+)?$/.exec(l) ?? [])[1])).toEqual([String(a.totals[g]), String(a.totals[g])]);
    }
    const unicode = await insights(['picker-wheel', '--dir', dir, '--format', 'chart', '--unicode', ...argsOf(params)]);
    expect(unicode.stdout).toMatch(/[▁▂▃▄▅▆▇]/);
    expect(unicode.stdout).toMatch(/█/);
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('chart on a terminal (a real pty): block characters at the terminal width; ASCII with NO_COLOR or --ascii', () => {
    const onTty = (extra: string, env: Record<string, string | undefined> = {}): string => {
      const cmd = `stty cols 70 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BUILT)} insights picker-wheel --dir ${JSON.stringify(dir)} --format chart ${argsOf(CASES[0]!).join(' ')} ${extra}`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: cleanEnv({ ...NEUTRAL, TERM: 'xterm-256color', ...env }), timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.replace(/\r\n/g, '\n');
    };
    const tty = onTty('');
    expect(tty).toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(tty).toMatch(/█+[▏▎▍▌▋▊▉]?\n/);
    // stderr shares the terminal: the torn-line warning is not part of the chart.
    const plain = tty.replace(/\u001b\[[0-9;]*m/g, '').trimEnd().split('\n').filter((l) => !l.startsWith('warning:'));
    expect(Math.max(...plain.map((l) => [...l].length))).toBe(70);
    expect(tty).toContain('\u001b[1m'); // bold title on a terminal
    for (const ascii of [onTty('', { NO_COLOR: '1' }), onTty('--ascii')]) {
      expect(ascii).not.toMatch(/[▁▂▃▄▅▆▇█]/);
      expect(ascii).toMatch(/#/);
    }
  });

  it('the table on a narrow terminal leaves out the group columns that do not fit and says which', () => {
    const cmd = `stty cols 60 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BUILT)} insights picker-wheel --dir ${JSON.stringify(dir)} ${argsOf(CASES[0]!).join(' ')} --by event`;
    if (!hasScript) return;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: cleanEnv({ ...NEUTRAL, NO_COLOR: '1' }), timeout: 60_000 });
    const out = r.stdout.replace(/\r\n/g, '\n').trimEnd().split('\n');
    for (const l of out.filter((x) => !x.startsWith('warning:'))) expect(l.length).toBeLessThanOrEqual(60);
    expect(r.stdout).toMatch(/warning: \d+ group column\(s\) left out to fit the terminal \("/);
  });

  it.each([
    [['--bucket', 'year'], /option '--bucket <size>' argument 'year' is invalid\. Allowed choices are minute, hour, day, week/],
    [['--top', '0'], /--top: an integer from 1 to 100/],
    [['--top', 'ten'], /--top: an integer from 1 to 100/],
    [['--since', 'yesterday'], /--since: "yesterday" is neither an ISO 8601 time nor a duration/],
    [['--until', '2025-13-45'], /--until: "2025-13-45" is neither/],
    [['--since', '2025-02-01', '--until', '2025-01-01'], /--since: must be before --until/],
    [['--bucket', 'minute', '--since', '30d'], /--bucket: 43201 minute buckets between --since and --until; at most 2000/],
    [['--by', ''], /--by: must not be empty/],
    [['--event', 'x'.repeat(300)], /--event: longer than 256 characters/],
    [['--format', 'pdf'], /option '--format <format>' argument 'pdf' is invalid\. Allowed choices are table, json, chart/],
    [['--url', 'ftp://x'], /--url <url>' argument 'ftp:\/\/x' is invalid\. expected an absolute http/],
    [['--url', 'http://127.0.0.1:9'], /option '--url <url>' cannot be used with option '--dir <dir>'/],
    [['--ascii', '--unicode'], /option '--ascii' cannot be used with option '--unicode'/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('%j is a usage error: exit 2 naming the option, nothing on stdout', async (args, message) => {
    const r = await insights(['picker-wheel', '--dir', dir, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\(see --help\)\n$/);
    expect(r.stdout).toBe('');
  });

  it('a bad scenario name is a usage error; an unknown scenario or dir a runtime error (exit 1) naming what is there', async () => {
    const bad = await insights(['../etc', '--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a scenario name/);
    const unknown = await insights(['picker-whee', '--dir', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`error: no events for scenario "picker-whee" in ${dir} (scenarios there: picker-wheel)`);
    const nodir = await insights(['picker-wheel', '--dir', join(dir, 'nope')]);
    expect(nodir.code).toBe(1);
    expect(nodir.stderr).toMatch(/\(the directory does not exist\)/);
  });

  it('Ctrl-C stops a long scan: exit 130, nothing printed', async () => {
    // 400,000 lines behind a torn second line: its warning on stderr (synchronous into a pipe) says the scan has begun.
    const big = tmpDir('opt-cli-insights-big-');
    const one = (i: number): string => `{"ts":"2025-01-0${1 + (i % 9)}T12:00:00.000Z","scenario":"big","installation_id":"i-${i % 500}","event":"command_run","details":{"version":"1.${i % 4}.0"}}\n`;
    const chunk = Array.from({ length: 10_000 }, (_, i) => one(i)).join('');
    writeFileSync(join(big, 'big.jsonl'), one(0) + '{"ts":"torn\n' + chunk.repeat(40));
    const child = spawn(process.execPath, [BUILT, 'insights', 'big', '--dir', big, '--since', '2025-01-01', '--until', '2025-01-11'], { env: cleanEnv(NEUTRAL), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).includes('big.jsonl:2: torn') && resolve()));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1); // the warning only: an interruption is not an error message
  });

  it('a range without events: zeros, exit 0, a warning for people (not for --format json)', async () => {
    const table = await insights(['picker-wheel', '--dir', dir, '--since', '2020-01-01', '--until', '2020-01-08']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^total\s+0\s+0\s+0$/m);
    expect(table.stderr).toMatch(/warning: no matching events in this range\n/);
    const json = await insights(['picker-wheel', '--dir', dir, '--since', '2020-01-01', '--until', '2020-01-08', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ total_events: 0, groups: [], buckets: expect.any(Array) });
  });
});
