// Line charts as plain SVG text (no plotting dependency): the scaling workload's tasks/s and
// memory against the number of tasks, one line per pool, log-scaled axes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCALING_SIZES } from '../shared/variants.js';
import type { WorkloadReport } from './results.js';

interface Series {
  name: string;
  points: [number, number][];
}

interface Chart {
  title: string;
  caption: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 72, right: 130, top: 44, bottom: 62 };
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f', '#17becf'];

const xmlText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A power of ten, short: 1k, 10k, 1M. */
function tickLabel(value: number): string {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(value);
}

/** Powers of ten spanning [min, max], widened to whole decades. */
function decades(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

export function renderChart(chart: Chart): string {
  const all = chart.series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const xTicks = decades(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])));
  const yTicks = decades(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const scale = (v: number, ticks: number[], size: number) =>
    ((Math.log10(v) - Math.log10(ticks[0]!)) /
      (Math.log10(ticks[ticks.length - 1]!) - Math.log10(ticks[0]!))) *
    size;
  const x = (v: number) => MARGIN.left + scale(v, xTicks, plotW);
  const y = (v: number) => MARGIN.top + plotH - scale(v, yTicks, plotH);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(`${chart.title} (${chart.caption})`)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${xmlText(chart.title)}</text>`,
    `<text x="${WIDTH / 2}" y="36" text-anchor="middle" fill="#555">${xmlText(chart.caption)}</text>`,
  ];
  for (const t of xTicks) {
    out.push(
      `<line x1="${x(t)}" y1="${MARGIN.top}" x2="${x(t)}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`,
      `<text x="${x(t)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  for (const t of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${y(t)}" x2="${MARGIN.left + plotW}" y2="${y(t)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 24}" text-anchor="middle">${xmlText(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`);
    const width = s.name === 'spindle' ? 3 : 1.8;
    out.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"/>`,
      ...s.points.map(
        ([px, py]) =>
          `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3.5" fill="${color}"/>`,
      ),
      `<line x1="${WIDTH - MARGIN.right + 12}" y1="${MARGIN.top + 10 + i * 20}" x2="${WIDTH - MARGIN.right + 32}" y2="${MARGIN.top + 10 + i * 20}" stroke="${color}" stroke-width="${width}"/>`,
      `<text x="${WIDTH - MARGIN.right + 38}" y="${MARGIN.top + 14 + i * 20}">${xmlText(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One series per pool: the median of `key` at each task count it was measured at. */
function seriesOf(report: WorkloadReport, key: string): Series[] {
  const byPool = new Map<string, [number, number][]>();
  for (const row of report.rows) {
    const tasks = row.variant === undefined ? undefined : SCALING_SIZES[row.variant];
    const value = row.metrics[key]?.median;
    if (tasks === undefined || value === undefined || !(value > 0)) continue;
    byPool.set(row.participant, [...(byPool.get(row.participant) ?? []), [tasks, value]]);
  }
  return [...byPool].map(([name, points]) => ({ name, points }));
}

/** Writes the scaling plots when the run has the scaling workload; returns the files written. */
export async function writeScalingPlots(
  reports: readonly WorkloadReport[],
  dir: string,
  caption: string,
): Promise<string[]> {
  const report = reports.find((r) => r.id === 'scaling');
  if (report === undefined) return [];
  const xLabel = 'tasks issued at once, then awaited';
  const charts: [string, Chart][] = [
    [
      'scaling-rate.svg',
      {
        title: 'Throughput against the number of tasks',
        caption,
        xLabel,
        yLabel: 'tasks/s',
        series: seriesOf(report, 'tasksPerSec'),
      },
    ],
    [
      'scaling-rss.svg',
      {
        title: 'Peak RSS against the number of tasks',
        caption,
        xLabel,
        yLabel: 'peak RSS, MB',
        series: seriesOf(report, 'peakRssMb'),
      },
    ],
    [
      'scaling-rss-per-task.svg',
      {
        title: 'RSS per task in flight',
        caption,
        xLabel,
        yLabel: 'bytes per task ((peak − before) / tasks)',
        series: seriesOf(report, 'rssBytesPerTask'),
      },
    ],
  ];
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, chart] of charts) {
    const svg = renderChart(chart);
    if (svg === '') continue;
    await writeFile(join(dir, file), svg);
    written.push(join(dir, file));
  }
  return written;
}
