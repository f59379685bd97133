import type { ClientContext } from './context.js';
import { taskDefinitionName } from './entity-views.js';
import { EXIT } from './exit-codes.js';
import { followDeployment } from './follow-deployment.js';
import { renderData, type OutputFormat } from './output.js';
import type { DeploymentView } from './scheduler-client.js';

export interface DeployFlowOptions {
  env: string;
  output: OutputFormat;
  wait: boolean;
  timeoutMs: number;
  stopSignal: AbortSignal;
  /** Starts the deployment with the environment's current token. */
  start: (token: string) => Promise<DeploymentView>;
  verb: string;
}

/**
 * The shared body of `blox deploy` and `blox rollback`: read the token, start, then (with
 * --wait) follow to the end. Progress goes to stdout in table mode and to stderr otherwise, so
 * `-o json` stays parseable.
 */
export async function deployFlow(ctx: ClientContext, o: DeployFlowOptions): Promise<number> {
  const env = await ctx.scheduler.getEnvironment(o.env);
  const started = await o.start(env.deploymentToken);
  const table = o.output === 'table';
  const data = (value: unknown) => renderData(value, o.output === 'yaml' ? 'yaml' : 'json');
  if (table)
    ctx.print(
      `${o.verb} ${started.id}: ${o.env} → revision ${started.revision} (${taskDefinitionName(started.taskDefinition)})`,
    );
  if (!o.wait) {
    if (table) ctx.print(`follow it with: blox deployments ${o.env}   (or run with --wait)`);
    else ctx.print(data(started));
    return EXIT.ok;
  }
  // On a terminal the bar is redrawn in place (raw writes); elsewhere each changed line is printed.
  const stream = table ? process.stdout : process.stderr;
  const tty = Boolean(stream.isTTY);
  const line = table ? ctx.print : ctx.printError;
  const done = await followDeployment(ctx, o.env, started, {
    timeoutMs: o.timeoutMs,
    stopSignal: o.stopSignal,
    write: tty ? (text) => stream.write(text) : (text) => line(text.replace(/\n$/, '')),
    tty,
  });
  if (table)
    ctx.print(
      `${o.verb} ${done.id} completed: revision ${done.revision} runs on ${done.counts?.updated ?? 0} instance(s)`,
    );
  else ctx.print(data(done));
  return EXIT.ok;
}
