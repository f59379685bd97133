import { toYaml } from '../../core/yaml.js';

/** Output formats of the client commands (`-o`). */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shrinks first when the terminal is narrow (e.g. long ARNs). */
  flexible?: boolean;
  /** Left out when shrinking is not enough, lowest first (columns without it always stay). */
  dropOrder?: number;
  color?: (value: string, row: T) => Color | undefined;
}

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'dim' | 'bold';

const CODES: Record<Color, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

export function paint(text: string, color: Color | undefined, enabled: boolean): string {
  if (!color || !enabled) return text;
  const [open, close] = CODES[color];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

export interface TableOptions {
  /** Terminal width to fit (default 120). */
  width?: number;
  color?: boolean;
  /** Minimum column widths, e.g. those of a table printed before, so later rows line up with it. */
  minWidths?: readonly number[];
  /** Leave the header line out (rows appended to a table printed before). */
  noHeader?: boolean;
}

/**
 * Which columns to show and how wide, to fit `width`: flexible columns are shrunk first (widest
 * first, never below their header or 12 characters); if that is not enough, droppable columns
 * are left out, lowest `dropOrder` first. Pure.
 */
export function fitColumns<T>(
  rows: T[],
  columns: Column<T>[],
  options: TableOptions = {},
): { keep: number[]; widths: number[] } {
  const width = options.width ?? 120;
  const gap = 2;
  const natural = columns.map((c, i) =>
    Math.max(c.header.length, options.minWidths?.[i] ?? 0, ...rows.map((r) => c.value(r).length)),
  );
  const floorOf = (i: number) =>
    columns[i]!.flexible ? Math.min(natural[i]!, Math.max(columns[i]!.header.length, 12)) : natural[i]!;
  const droppable = columns
    .map((c, i) => ({ i, order: c.dropOrder }))
    .filter((x): x is { i: number; order: number } => x.order !== undefined)
    .sort((a, b) => a.order - b.order)
    .map((x) => x.i);
  let keep = columns.map((_, i) => i);
  const minimum = (cols: number[]) => cols.reduce((sum, i) => sum + floorOf(i), 0) + gap * (cols.length - 1);
  // Leave out droppable columns only while even the shrunk table does not fit.
  while (minimum(keep) > width && droppable.length > 0) {
    const drop = droppable.shift()!;
    keep = keep.filter((i) => i !== drop);
  }
  const widths = [...natural];
  let total = keep.reduce((sum, i) => sum + widths[i]!, 0) + gap * (keep.length - 1);
  const flexible = keep.filter((i) => columns[i]!.flexible);
  while (total > width && flexible.length > 0) {
    const i = flexible.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    if (widths[i]! <= floorOf(i)) {
      flexible.splice(flexible.indexOf(i), 1);
      continue;
    }
    widths[i]!--;
    total--;
  }
  return { keep, widths };
}

/** Column widths that fit `width` (see fitColumns), by column index. Pure. */
export function columnWidths<T>(rows: T[], columns: Column<T>[], options: TableOptions = {}): number[] {
  return fitColumns(rows, columns, options).widths;
}

/** Fits columns into `width`: flexible columns are truncated with an ellipsis, droppable ones left out. */
export function renderTable<T>(rows: T[], columns: Column<T>[], options: TableOptions = {}): string {
  const { keep, widths } = fitColumns(rows, columns, options);
  const gap = ' '.repeat(2);
  const fit = (text: string, w: number) =>
    text.length <= w ? text.padEnd(w) : text.slice(0, Math.max(0, w - 1)) + '…';
  const lines = options.noHeader
    ? []
    : [
        keep
          .map((i) => paint(fit(columns[i]!.header, widths[i]!), 'bold', !!options.color))
          .join(gap)
          .trimEnd(),
      ];
  for (const row of rows) {
    lines.push(
      keep
        .map((i) => {
          const cell = columns[i]!.value(row);
          return paint(fit(cell, widths[i]!), columns[i]!.color?.(cell, row), !!options.color);
        })
        .join(gap)
        .trimEnd(),
    );
  }
  return lines.join('\n');
}

export function renderData(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(data, null, 2) : toYaml(data).trimEnd();
}

/** Status words coloured the same way everywhere. */
export function statusColor(status: string): Color | undefined {
  const s = status.toUpperCase();
  if (['RUNNING', 'ACTIVE', 'COMPLETED', 'HEALTHY', 'READY'].includes(s)) return 'green';
  if (
    [
      'PENDING',
      'DRAINING',
      'IN_PROGRESS',
      'RUNNING_DEPLOYMENT',
      'PROVISIONING',
      'ACTIVATING',
      'STOPPING',
    ].includes(s)
  )
    return 'yellow';
  if (['STOPPED', 'INACTIVE', 'FAILED', 'UNHEALTHY', 'ROLLED_BACK'].includes(s)) return 'red';
  return undefined;
}

/** Terminal width, or a wide default when output is piped (so lines are not cut for scripts). */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : 200;
}
