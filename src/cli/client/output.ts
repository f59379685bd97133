import { stringify as toYaml } from 'yaml';

/** Output formats of the client commands (`-o`). */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shrinks first when the terminal is narrow (e.g. long ARNs). */
  flexible?: boolean;
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
 * Column widths that fit `width`: flexible columns are shrunk (widest first, never below their
 * header or 12 characters); the rest keep their content width. Pure.
 */
export function columnWidths<T>(rows: T[], columns: Column<T>[], options: TableOptions = {}): number[] {
  const width = options.width ?? 120;
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, options.minWidths?.[i] ?? 0, ...rows.map((r) => c.value(r).length)),
  );
  const gap = 2;
  let total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  const flexible = columns.map((c, i) => (c.flexible ? i : -1)).filter((i) => i >= 0);
  while (total > width && flexible.length > 0) {
    const i = flexible.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    const floor = Math.max(columns[i]!.header.length, 12);
    if (widths[i]! <= floor) {
      flexible.splice(flexible.indexOf(i), 1);
      continue;
    }
    widths[i]!--;
    total--;
  }
  return widths;
}

/** Fits columns into `width`: flexible columns are truncated with an ellipsis, the rest keep their width. */
export function renderTable<T>(rows: T[], columns: Column<T>[], options: TableOptions = {}): string {
  const widths = columnWidths(rows, columns, options);
  const gap = 2;
  const fit = (text: string, w: number) =>
    text.length <= w ? text.padEnd(w) : text.slice(0, Math.max(0, w - 1)) + '…';
  const lines = options.noHeader
    ? []
    : [
        columns
          .map((c, i) => paint(fit(c.header, widths[i]!), 'bold', !!options.color))
          .join(' '.repeat(gap))
          .trimEnd(),
      ];
  for (const row of rows) {
    lines.push(
      columns
        .map((c, i) => {
          const cell = c.value(row);
          return paint(fit(cell, widths[i]!), c.color?.(cell, row), !!options.color);
        })
        .join(' '.repeat(gap))
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
