import { load } from './machine.js';
import { summarize } from './stats.js';
import type { Backend, Figure } from './types.js';

/** Collects figures of one scenario; each figure notes the load average when its runs started and ended. */
export class Figures {
  readonly list: Figure[] = [];
  constructor(readonly scenario: string) {}

  add(f: {
    name: string;
    backend: Backend;
    size: number;
    sizeLabel: string;
    unit: string;
    better: 'higher' | 'lower';
    runs: number[];
    loadStart: number;
    ceiling?: { label: string; runs?: number[]; median?: number; unit: string };
    note?: string;
  }): Figure {
    const s = summarize(f.runs);
    let ceiling: Figure['ceiling'];
    if (f.ceiling) {
      const c = f.ceiling.runs ? summarize(f.ceiling.runs) : undefined;
      ceiling = {
        label: f.ceiling.label,
        median: c ? c.median : f.ceiling.median!,
        unit: f.ceiling.unit,
        ...(c ? { min: c.min, max: c.max } : {}),
      };
    }
    const figure: Figure = {
      scenario: this.scenario,
      name: f.name,
      backend: f.backend,
      size: f.size,
      sizeLabel: f.sizeLabel,
      unit: f.unit,
      better: f.better,
      ...s,
      ...(ceiling ? { ceiling, ratio: ceiling.median > 0 ? s.median / ceiling.median : undefined } : {}),
      load: { start: f.loadStart, end: load()[0] },
      ...(f.note ? { note: f.note } : {}),
    };
    this.list.push(figure);
    // streamed to the parent too, so figures measured before a timeout are kept
    if (process.env.BENCH_CHILD_INIT) process.stdout.write(`@@figure ${JSON.stringify(figure)}\n`);
    console.error(
      `  ${this.scenario} | ${f.name} | ${f.backend} | ${f.sizeLabel}: ${fmt(s.median)} ${f.unit} (min ${fmt(s.min)}, max ${fmt(s.max)})` +
        (figure.ratio !== undefined ? ` ratio ${figure.ratio.toFixed(2)} to ${ceiling!.label}` : ''),
    );
    return figure;
  }
}

export function fmt(x: number | undefined, digits?: number): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

export const count = (n: number) => n.toLocaleString('en-US');
