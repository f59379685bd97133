import type { DeploymentView, StatusCounts } from './scheduler-client.js';
import { paint, statusColor } from './output.js';

/** What one progress line shows about a deployment. */
export interface ProgressSnapshot {
  state: DeploymentView['state'];
  revision: number;
  counts: StatusCounts | undefined;
  failures: number;
}

export function snapshotOf(d: DeploymentView, live: StatusCounts | undefined): ProgressSnapshot {
  // The environment's live counts are fresher while the rollout runs; the deployment's own are
  // what the leader recorded (and all there is once it ended).
  const counts = d.state === 'in_progress' || d.state === 'pending' ? (live ?? d.counts) : (d.counts ?? live);
  return {
    state: d.state,
    revision: d.revision,
    counts,
    failures: d.failures?.length ?? d.failedInstances.length,
  };
}

/** `[########------------]` for updated / desired; full when nothing is desired. Pure. */
export function bar(updated: number, desired: number, width: number): string {
  const filled = desired <= 0 ? width : Math.min(width, Math.round((updated / desired) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * One line: `revision 2  [#####-----]  3/6 updated  available 3  failed 0  in_progress`. The
 * same line on a terminal (redrawn in place) and in a log (one line per change). Pure.
 */
export function progressLine(s: ProgressSnapshot, options: { color: boolean; barWidth?: number }): string {
  const c = s.counts;
  const state = paint(s.state, statusColor(s.state), options.color);
  if (!c) return `revision ${s.revision}  waiting for the scheduler to count instances…  ${state}`;
  const failed = paint(
    `failed ${c.failed}`,
    c.failed > 0 || s.failures > 0 ? 'red' : undefined,
    options.color,
  );
  return [
    `revision ${s.revision}`,
    bar(c.updated, c.desired, options.barWidth ?? 20),
    `${c.updated}/${c.desired} updated`,
    `available ${c.available}`,
    failed,
    ...(s.failures > c.failed ? [`failures ${s.failures}`] : []),
    state,
  ].join('  ');
}

/**
 * Prints progress lines: on a terminal it redraws one line in place; otherwise it prints a line
 * only when the text changed, so a CI log shows each step once.
 */
export class ProgressPrinter {
  private last = '';

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void,
  ) {}

  update(line: string): void {
    if (line === this.last) return;
    this.last = line;
    if (this.tty) this.write(`\r\u001b[2K${line}`);
    else this.write(`${line}\n`);
  }

  /** Ends the redrawn line so what follows starts on its own. */
  done(): void {
    if (this.tty && this.last !== '') this.write('\n');
  }
}
