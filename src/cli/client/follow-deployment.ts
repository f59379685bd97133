import { CommandFailure } from './errors.js';
import { EXIT } from './exit-codes.js';
import type { ClientContext } from './context.js';
import { ProgressPrinter, progressLine, snapshotOf } from './progress.js';
import { FINAL_STATES, type DeploymentView } from './scheduler-client.js';

export interface FollowOptions {
  /** Give up waiting after this long (the deployment goes on). */
  timeoutMs: number;
  pollMs?: number;
  stopSignal: AbortSignal;
  /** Where progress lines go (stdout for table output; stderr when stdout carries JSON/YAML). */
  write: (text: string) => void;
  tty: boolean;
}

/**
 * Follows a deployment until it ends, drawing progress (updated / desired, failures). Resolves
 * with the final deployment; throws CommandFailure when it failed, timed out or was interrupted.
 */
export async function followDeployment(
  ctx: ClientContext,
  env: string,
  started: DeploymentView,
  options: FollowOptions,
): Promise<DeploymentView> {
  const printer = new ProgressPrinter(options.tty, options.write);
  const deadline = Date.now() + options.timeoutMs;
  let d = started;
  try {
    for (;;) {
      const live = (await ctx.scheduler.getEnvironment(env)).status;
      d = await ctx.scheduler.getDeployment(env, started.id);
      printer.update(progressLine(snapshotOf(d, live), { color: ctx.color }));
      if ((FINAL_STATES as readonly string[]).includes(d.state)) break;
      if (options.stopSignal.aborted)
        throw new CommandFailure(
          `stopped waiting; deployment ${d.id} goes on (${d.state})`,
          EXIT.failure,
          `follow it with: blox deployments ${env}`,
        );
      if (Date.now() > deadline)
        throw new CommandFailure(
          `deployment ${d.id} did not finish within ${Math.round(options.timeoutMs / 1000)} s (still ${d.state})`,
          EXIT.failure,
          `it goes on; follow it with: blox deployments ${env}, or wait longer with --timeout`,
        );
      await sleep(options.pollMs ?? 500, options.stopSignal);
    }
  } finally {
    printer.done();
  }
  if (d.state !== 'completed') {
    const why = d.reason ? `: ${d.reason}` : '';
    const rolledBack = d.rolledBackBy ? ` (rolled back by deployment ${d.rolledBackBy})` : '';
    const failed = d.failures?.length
      ? `; failed on ${d.failures
          .map((f) => `${shortId(f.instance)} (${f.reason})`)
          .slice(0, 3)
          .join(', ')}${d.failures.length > 3 ? ', …' : ''}`
      : '';
    throw new CommandFailure(
      `deployment ${d.id} of revision ${d.revision} ${d.state.replace('_', ' ')}${why}${rolledBack}${failed}`,
      EXIT.failure,
      `see: blox deployments ${env}`,
    );
  }
  return d;
}

function shortId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** Waits, or stops waiting when the signal fires (Ctrl-C ends the follow at once). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
