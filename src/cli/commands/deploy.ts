import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { deployFlow } from '../client/deploy-flow.js';
import { deploySettings } from '../client/deploy-settings.js';
import type { OutputFormat } from '../client/output.js';

/** `blox deploy <env>`: roll out the latest (or a given) revision; --wait follows it with a progress bar. */
export const deployCommand = defineCommand({
  name: 'deploy',
  description:
    'Deploy an environment (its latest revision, or --revision n); --wait shows progress and exits 1 if the deployment fails.',
  settings: deploySettings,
  args: ['<env>'],
  run: (config, { stopSignal }, [env = '']) =>
    runClient(config, (ctx) =>
      deployFlow(ctx, {
        env,
        output: config.output as OutputFormat,
        wait: config.wait,
        timeoutMs: config.timeout,
        stopSignal,
        verb: 'deployment',
        start: (token) => ctx.scheduler.deploy(env, token, config.revision),
      }),
    ),
});
