import { StateApiError, StateClient } from '../../sdk/index.js';
import { ApiError, reportError, type ApiRole } from './errors.js';
import { EXIT } from './exit-codes.js';
import { colorEnabled, paint, terminalWidth } from './output.js';
import { SchedulerClient } from './scheduler-client.js';

interface EndpointConfig {
  endpoint: string;
  stateEndpoint?: string | undefined;
  schedulerEndpoint?: string | undefined;
}

/** What a client command needs: the two API clients and how to print. */
export interface ClientContext {
  state: StateClient;
  scheduler: SchedulerClient;
  stateEndpoint: string;
  /** Which endpoints were set apart from --endpoint (their errors name the split setting). */
  split: Partial<Record<ApiRole, boolean>>;
  tty: boolean;
  color: boolean;
  width: number;
  print(text: string): void;
  printError(text: string): void;
}

export function clientContext(config: EndpointConfig): ClientContext {
  const stateEndpoint = config.stateEndpoint ?? config.endpoint;
  return {
    state: new StateClient({ endpoint: stateEndpoint }),
    scheduler: new SchedulerClient(config.schedulerEndpoint ?? config.endpoint),
    stateEndpoint: stateEndpoint.replace(/\/+$/, ''),
    split: { state: config.stateEndpoint !== undefined, scheduler: config.schedulerEndpoint !== undefined },
    tty: Boolean(process.stdout.isTTY),
    color: colorEnabled(process.stdout),
    width: terminalWidth(process.stdout),
    print: (text) => console.log(text),
    printError: (text) => console.error(text),
  };
}

/**
 * Runs a client command body and turns any error into one line (plus a hint) on stderr and the
 * documented exit code, instead of a stack trace.
 */
export async function runClient(
  config: EndpointConfig,
  body: (ctx: ClientContext) => Promise<number>,
): Promise<number> {
  const ctx = clientContext(config);
  try {
    return await body(ctx);
  } catch (err) {
    // The SDK's errors do not carry the endpoint; this context knows it.
    const located =
      err instanceof StateApiError && err.status !== 0
        ? new ApiError(err.status, err.code, err.message, ctx.stateEndpoint, 'state')
        : err;
    const report = reportError(located, ctx.split);
    const color = colorEnabled(process.stderr);
    ctx.printError(`${paint('blox:', 'red', color)} ${report.message}`);
    if (report.hint) ctx.printError(`  ${paint(report.hint, 'dim', color)}`);
    return report.exitCode ?? EXIT.failure;
  }
}
