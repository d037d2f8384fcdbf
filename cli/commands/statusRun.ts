import Table from 'cli-table3';
import { join } from 'node:path';
import { TOGGLE_FILE } from '../../core/consent.js';
import { dirBytesSync, parseStoreName } from '../../core/storeFiles.js';
import type { CliContext } from '../context.js';
import { resolveDir } from '../options.js';
import { printable } from '../../core/sanitize.js';
import { explainReason, loadConsent } from '../settingsView.js';
import { readUploadReport, type UploadReport } from '../uploadState.js';

export interface StatusReport {
  enabled: boolean;
  reason: string;
  reason_text: string;
  environment: string;
  dir: string;
  toggle: boolean | null;
  toggle_file: string;
  /** `files` counts scenarios (each may have rotated segments besides its active file). */
  store: { files: number; bytes: number; scenarios: { scenario: string; bytes: number }[] };
  upload: UploadReport;
}

/** Sizes of `{dir}/{scenario}.jsonl` and rotated segments `{scenario}.jsonl.{N}`: the local store (the upload queue). */
function storeSizes(dir: string): StatusReport['store'] {
  const bytes = new Map<string, number>();
  dirBytesSync(dir, {
    include: (name) => parseStoreName(name) !== undefined,
    onFile: (name, n) => {
      const scenario = parseStoreName(name)!.scenario;
      bytes.set(scenario, (bytes.get(scenario) ?? 0) + n);
    },
  });
  const scenarios = [...bytes].map(([scenario, n]) => ({ scenario, bytes: n })).sort((a, b) => (a.scenario < b.scenario ? -1 : 1));
  return { files: scenarios.length, bytes: scenarios.reduce((n, s) => n + s.bytes, 0), scenarios };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export interface StatusOptions {
  dir?: string;
  format: 'table' | 'json';
}

/** `status`: loaded on demand (it reads the full pipeline configuration). */
export function runStatus(ctx: CliContext, o: StatusOptions): void {
  const { config, consent } = loadConsent(ctx.env, o.dir === undefined ? undefined : resolveDir(o.dir, ctx.env));
  const report: StatusReport = {
    enabled: consent.enabled,
    reason: consent.reason,
    reason_text: explainReason(consent.reason, consent.enabled, ctx.env, config.dir),
    environment: config.environment ?? 'production',
    dir: config.dir,
    toggle: consent.persistedToggle ?? null,
    toggle_file: join(config.dir, TOGGLE_FILE),
    store: storeSizes(config.dir),
    upload: readUploadReport(config.dir, ctx.env),
  };
  if (o.format === 'json') {
    ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  // Every value may come from outside (the endpoint's error body, environment, file names): shown, never obeyed.
  const p: typeof ctx.paint = (style, text) => ctx.paint(style, printable(text));
  const v = (text: unknown): string => printable(String(text));
  const t = new Table({ chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' }, style: { 'padding-left': 0, 'padding-right': 2, head: [], border: [], compact: true } });
  const up = report.upload;
  t.push(
    { [p('bold', 'Telemetry')]: report.enabled ? p('green', 'enabled') : p('yellow', 'disabled') },
    { [p('bold', 'Why')]: v(report.reason_text) },
    { [p('bold', 'Environment')]: `${v(report.environment)}${report.environment === 'production' ? '' : ' (crash events are not recorded outside production)'}` },
    { [p('bold', 'Data dir')]: v(report.dir) },
    { [p('bold', 'Stored (queue)')]: `${formatBytes(report.store.bytes)} in ${report.store.files} scenario file${report.store.files === 1 ? '' : 's'}` },
    { [p('bold', 'Upload URL')]: up.url !== null ? v(up.url) : 'not set (TELEMETRY_UPLOAD_URL): events stay local' },
    { [p('bold', 'Not yet uploaded')]: up.pending_bytes === null ? (up.url === null ? '-' : 'unknown (no upload has run yet)') : v(`${formatBytes(up.pending_bytes)} in ${up.pending_files ?? 0} file(s) (as of ${up.state_updated_at})`) },
    { [p('bold', 'Last upload')]: v(up.last_success ?? 'never') },
  );
  if (up.last_error !== null) t.push({ [p('bold', 'Last upload error')]: p('red', `${up.last_error} (${up.consecutive_failures ?? 0} in a row; next try ${up.next_attempt ?? 'soon'})`) });
  if (up.sent_events !== null) t.push({ [p('bold', 'Sent')]: v(`${up.sent_events} event(s)${up.dropped_events ? `, ${up.dropped_events} dropped (store full)` : ''}`) });
  t.push(
    { [p('bold', 'Upload spool')]: formatBytes(up.spool_bytes) },
    { [p('bold', 'Quarantine')]: v(`${formatBytes(up.quarantine_bytes)}${up.quarantined_events ? ` (${up.quarantined_events} event(s) refused or invalid)` : ''}`) },
  );
  ctx.stdout.write(t.toString().replace(/[ \t]+$/gm, '') + '\n');
}
