// Renders the results as aligned text (stdout) and as Markdown (docs/benchmarks.md, README).
import type { Summary } from '../shared/stats.js';
import type { GoalResult } from './goals.js';
import type { Row, WorkloadReport } from './results.js';
import type { MetricDef } from './workloads.js';

export function formatValue(value: number | undefined, format: MetricDef['format']): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  switch (format) {
    case 'rate':
      if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 1 : 2)}M`;
      if (abs >= 1e3) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
      return value.toFixed(0);
    case 'ms':
    case 'us':
    case 'mb':
      return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
    case 'ratio':
      return value.toFixed(2);
    case 'percent':
      return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
    case 'bytes':
      return Math.round(value).toLocaleString('en-US');
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

function cell(summary: Summary | undefined, format: MetricDef['format']): string {
  if (summary === undefined) return '–';
  const median = formatValue(summary.median, format);
  if (summary.n < 2) return median;
  return `${median} (${formatValue(summary.min, format)}–${formatValue(summary.max, format)})`;
}

function vsReference(row: Row, report: WorkloadReport): string {
  if (row.vsReference === undefined) return '–';
  if (row.label === report.bestPeer) return 'best peer';
  if (row.participant === report.reference) return '1×';
  return `${row.vsReference.toFixed(2)}×`;
}

function workloadTable(report: WorkloadReport): { headers: string[]; rows: string[][] } {
  const headers = ['pool', ...report.metrics.map((m) => m.label)];
  const compared = report.reference !== undefined && report.rows.some((r) => r.vsReference);
  if (compared) headers.push(`${report.metrics[0]!.label} vs ${report.reference}`);
  headers.push('notes');
  const rows = report.rows.map((row) => {
    const cells = [row.label, ...report.metrics.map((m) => cell(row.metrics[m.key], m.format))];
    if (compared) cells.push(vsReference(row, report));
    cells.push([...row.notes, ...row.errors.map((e) => `error: ${e.split('\n')[0]}`)].join('; '));
    return cells;
  });
  for (const { label, reason } of report.skipped) {
    const blanks = headers.length - 2;
    rows.push([label, ...new Array<string>(blanks).fill('–'), `skipped: ${reason}`]);
  }
  return { headers, rows };
}

function goalCells(g: GoalResult): string[] {
  const format = g.metric?.format ?? 'ratio';
  const reference = g.reference
    ? `${g.reference.label} ${formatValue(g.reference.value, format)}`
    : '–';
  const ratio = g.ratio === undefined ? '–' : `${g.ratio.toFixed(2)}×`;
  const floor = g.floor ? `${g.floor.label} ${g.floor.ratio.toFixed(2)}×` : '–';
  let met = g.target === 'reported' ? '–' : g.met === undefined ? 'n/a' : g.met ? 'met' : 'NOT met';
  // A goal that no program met without a pool either is out of reach on this machine.
  if (g.met === false && g.floor?.met === false) met = 'NOT met (nor without a pool)';
  return [
    `${g.no}. ${g.goal}`,
    formatValue(g.spindle, format),
    reference,
    ratio,
    floor,
    g.target,
    met,
  ];
}

const GOAL_HEADERS = [
  'goal',
  'spindle',
  'reference',
  'ratio',
  'without a pool',
  'target',
  'result',
];

function heading(report: WorkloadReport): string {
  let rounds = report.rounds === 1 ? '1 run' : `${report.rounds} rounds`;
  if (report.rounds < report.plannedRounds) rounds += ` (of ${report.plannedRounds}: time budget)`;
  const load = report.load
    ? `; load ${report.load.min.toFixed(1)}–${report.load.max.toFixed(1)}`
    : '';
  return `${report.no}. ${report.title}: ${report.shape}; ${rounds}, median (min–max)${load}`;
}

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function markdownTable(headers: string[], rows: string[][]): string {
  const escapePipes = (c: string) => c.replaceAll('|', '\\|');
  const line = (cells: string[]) => `| ${cells.map(escapePipes).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderText(
  reports: readonly WorkloadReport[],
  goals: readonly GoalResult[],
): string {
  const parts = reports.map((r) => {
    const { headers, rows } = workloadTable(r);
    return `${heading(r)}\n${textTable(headers, rows)}`;
  });
  if (goals.length > 0) parts.push(`Goals\n${textTable(GOAL_HEADERS, goals.map(goalCells))}`);
  return `${parts.join('\n\n')}\n`;
}

export function renderMarkdown(
  reports: readonly WorkloadReport[],
  goals: readonly GoalResult[],
  preamble: string,
): string {
  const parts = [preamble];
  for (const r of reports) {
    const { headers, rows } = workloadTable(r);
    parts.push(`#### ${heading(r)}\n\n${markdownTable(headers, rows)}`);
  }
  if (goals.length > 0) {
    const rows = goals.map((g) => [...goalCells(g), g.context]);
    parts.push(
      `#### Goals\n\n${markdownTable([...GOAL_HEADERS, 'earlier, quieter machine'], rows)}`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}
