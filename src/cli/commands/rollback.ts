import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { deployFlow } from '../client/deploy-flow.js';
import { rollbackSettings } from '../client/deploy-settings.js';
import type { OutputFormat } from '../client/output.js';

/** `blox rollback <env> [--to n]`: deploy the previous completed revision (or revision n) again. */
export const rollbackCommand = defineCommand({
  name: 'rollback',
  description:
    'Roll an environment back to the previous completed revision (or --to n), stopping a rollout in progress; --wait follows it.',
  settings: rollbackSettings,
  args: ['<env>'],
  run: (config, { stopSignal }, [env = '']) =>
    runClient(config, (ctx) =>
      deployFlow(ctx, {
        env,
        output: config.output as OutputFormat,
        wait: config.wait,
        timeoutMs: config.timeout,
        stopSignal,
        verb: 'rollback',
        start: (token) => ctx.scheduler.rollback(env, token, config.to),
      }),
    ),
});
