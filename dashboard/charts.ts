import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Charts drawn by uPlot (canvas; ~50 KB minified). uPlot sets its sizes through element.style (CSSOM), which the
 * page's Content-Security-Policy (style-src 'self', no 'unsafe-inline') does not restrict; it injects no <style>.
 * Colours come from the page's CSS custom properties, so light and dark mode follow `prefers-color-scheme`.
 */

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

/** Series colours: --c1..--c11 of style.css (a palette readable on both backgrounds). */
export function palette(i: number): string {
  return cssVar(`--c${(i % 11) + 1}`, '#4e79a7');
}

function axes(): uPlot.Axis[] {
  const stroke = cssVar('--muted', '#666');
  const grid = { stroke: cssVar('--grid', '#ddd'), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    { stroke, grid, ticks: grid, size: 50, values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? v.toLocaleString('en-US') : '')) },
  ];
}

/** Keeps a chart as wide as its container (down to a 360 px phone). */
function fitWidth(chart: uPlot, box: HTMLElement, height: number): void {
  const ro = new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (w > 0 && w !== chart.width) chart.setSize({ width: w, height });
  });
  ro.observe(box);
  // Dropped with the chart: views are replaced wholesale on navigation.
  chart.hooks.destroy = [...(chart.hooks.destroy ?? []), () => ro.disconnect()];
}

export interface Chart {
  destroy(): void;
}

const live = new Set<uPlot>();

/** Destroy every chart (on navigation), which also ends their resize observers. */
export function destroyCharts(): void {
  for (const c of live) c.destroy();
  live.clear();
}

function make(opts: uPlot.Options, data: uPlot.AlignedData, box: HTMLElement, height: number): uPlot {
  const chart = new uPlot(opts, data, box);
  live.add(chart);
  fitWidth(chart, box, height);
  return chart;
}

/** Bucket start times (ISO) as uPlot's x values (seconds). */
function xs(starts: readonly string[]): number[] {
  return starts.map((s) => Date.parse(s) / 1000);
}

/**
 * Events over time stacked by group: series i holds the sum of groups 0..i, and each bar is drawn from the sum below
 * it (uPlot's bars `disp.y0`/`y1` in scale values), so groups never overlap and the legend keeps rank order. The
 * legend and cursor show each group's own count, not the sum.
 */
export function stackedBars(box: HTMLElement, title: string, starts: readonly string[], groups: readonly string[], counts: readonly (readonly number[])[], height = 260): Chart {
  const n = starts.length;
  const stacked: number[][] = [];
  let acc = new Array<number>(n).fill(0);
  for (const c of counts) {
    acc = acc.map((a, i) => a + (c[i] ?? 0));
    stacked.push(acc);
  }
  const zeros = new Array<number>(n).fill(0);
  // By uPlot series index (0 is x): where each series' bars start and end.
  const lower = [zeros, zeros, ...stacked.slice(0, -1)];
  const upper = [zeros, ...stacked];
  const bars = uPlot.paths.bars!({
    size: [0.8, 40],
    align: 0,
    disp: {
      y0: { unit: 1, values: (_u, si) => lower[si] ?? zeros },
      y1: { unit: 1, values: (_u, si) => upper[si] ?? zeros },
    },
  });
  const series: uPlot.Series[] = [
    {},
    ...groups.map((g, gi) => ({
      label: g,
      stroke: palette(gi),
      fill: palette(gi),
      paths: bars,
      points: { show: false },
      value: (_u: uPlot, _v: number | null, _s: number, di: number | null) => (di === null ? '–' : (counts[gi]![di] ?? 0).toLocaleString('en-US')),
    })),
  ];
  const data: uPlot.AlignedData = [xs(starts), ...stacked];
  return make(
    {
      title,
      width: Math.max(200, box.clientWidth),
      height,
      series,
      axes: axes(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      legend: { live: true },
      cursor: { points: { show: false } },
    },
    data,
    box,
    height,
  );
}

/** One or more lines over the same buckets (installations, failures). */
export function lines(box: HTMLElement, title: string, starts: readonly string[], named: readonly { label: string; values: readonly number[]; color: string }[], height = 200): Chart {
  return make(
    {
      title,
      width: Math.max(200, box.clientWidth),
      height,
      series: [{}, ...named.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: `${s.color}22`, points: { show: starts.length < 60 } }))],
      axes: axes(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    },
    [xs(starts), ...named.map((s) => [...s.values])],
    box,
    height,
  );
}

/** A small line without axes or legend, for the overview. */
export function sparkline(box: HTMLElement, starts: readonly string[], values: readonly number[], color: string, label: string): Chart {
  const height = 40;
  return make(
    {
      width: Math.max(120, box.clientWidth),
      height,
      series: [{}, { label, stroke: color, width: 1.5, fill: `${color}33`, points: { show: false } }],
      axes: [{ show: false }, { show: false }],
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      padding: [2, 0, 2, 0],
    },
    [xs(starts), [...values]],
    box,
    height,
  );
}
