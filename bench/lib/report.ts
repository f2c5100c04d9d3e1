import { median } from './stats.js';

/** One figure, measured for both sides; `ours[i]` and `amqplib[i]` come from the same round (one A B pair). */
export interface Figure {
  /** False for figures whose ratio means nothing (a slope that may be negative or zero). */
  hasRatio: boolean;
  key: string;
  label: string;
  unit: string;
  /** Which way is better, to read the ratio: rates `higher`, latencies and memory `lower`. */
  better: 'higher' | 'lower';
  ours: number[];
  amqplib: number[];
}

export interface FigureSummary {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Medians over rounds. */
  ours: number;
  amqplib: number;
  /** Median over rounds of ours/amqplib, pair by pair. */
  ratio: number;
  samples: { ours: number[]; amqplib: number[] };
}

export class Figures {
  private readonly byKey = new Map<string, Figure>();

  /** Names a figure; the table lists figures in the order they were declared. */
  declare(key: string, label: string, unit: string, better: 'higher' | 'lower', hasRatio = true): void {
    if (!this.byKey.has(key)) this.byKey.set(key, { key, label, unit, better, hasRatio, ours: [], amqplib: [] });
  }

  /** One A B pair of samples. */
  add(key: string, ours: number, amqplib: number): void {
    const figure = this.byKey.get(key);
    if (!figure) throw new Error(`figure '${key}' was not declared`);
    figure.ours.push(ours);
    figure.amqplib.push(amqplib);
  }

  summaries(): Record<string, FigureSummary> {
    const out: Record<string, FigureSummary> = {};
    for (const figure of this.byKey.values()) {
      if (figure.ours.length === 0) continue;
      const ratios = figure.ours.map((value, i) => value / figure.amqplib[i]);
      out[figure.key] = {
        label: figure.label,
        unit: figure.unit,
        better: figure.better,
        ours: round(median(figure.ours)),
        amqplib: round(median(figure.amqplib)),
        ratio: figure.hasRatio ? round(median(ratios), 3) : Number.NaN,
        samples: { ours: figure.ours.map((v) => round(v)), amqplib: figure.amqplib.map((v) => round(v)) },
      };
    }
    return out;
  }
}

function round(value: number, digits?: number): number {
  if (!Number.isFinite(value)) return value;
  const places = digits ?? (Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 1 ? 2 : 3);
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'count') return Math.round(value).toLocaleString('en-US');
  if (unit === 'ms') return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
  if (unit === 'MB' || unit === 'x') return value.toFixed(1);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

/** A plain-text table: figure, unit, ours, amqplib, ours/amqplib, rounds. */
export function renderTable(summaries: Record<string, FigureSummary>): string {
  const header = ['figure', 'unit', 'ours', 'amqplib', 'ours/amqplib', 'n'];
  const rows = Object.values(summaries).map((s) => [
    s.label,
    s.unit,
    format(s.ours, s.unit),
    format(s.amqplib, s.unit),
    `${Number.isFinite(s.ratio) ? s.ratio.toFixed(2) : 'n/a'} ${s.better === 'higher' ? '(higher is better)' : '(lower is better)'}`,
    String(s.samples.ours.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i >= 2 && i <= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A markdown table of the same, for docs/benchmarks.md. */
export function renderMarkdown(summaries: Record<string, FigureSummary>): string {
  const rows = Object.values(summaries).map(
    (s) => `| ${s.label} | ${s.unit} | ${format(s.ours, s.unit)} | ${format(s.amqplib, s.unit)} | ${Number.isFinite(s.ratio) ? s.ratio.toFixed(2) : 'n/a'} | ${s.better} |`,
  );
  return ['| figure | unit | ours | amqplib | ours/amqplib | better |', '| --- | --- | ---: | ---: | ---: | --- |', ...rows].join('\n');
}
