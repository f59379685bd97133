import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { EXIT } from '../client/exit-codes.js';
import { renderData, renderTable, type OutputFormat } from '../client/output.js';
import { deploymentColumns } from '../client/scheduler-views.js';
import { endpointSettings, outputSetting } from '../client/settings.js';

/** `blox deployments <env>`: the environment's deployments, newest first. */
export const deploymentsCommand = defineCommand({
  name: 'deployments',
  description: "List an environment's deployments, newest first (state, revision, progress, failures).",
  settings: [outputSetting, ...endpointSettings] as const,
  args: ['<env>'],
  run: (config, _context, [env = '']) =>
    runClient(config, async (ctx) => {
      const deployments = await ctx.scheduler.listDeployments(env);
      const output = config.output as OutputFormat;
      if (output !== 'table') ctx.print(renderData(deployments, output));
      else if (deployments.length === 0)
        ctx.printError(`No deployments of ${env} yet. Start one with: blox deploy ${env} --wait`);
      else
        ctx.print(
          renderTable(deployments, deploymentColumns(Date.now()), { width: ctx.width, color: ctx.color }),
        );
      return EXIT.ok;
    }),
});
