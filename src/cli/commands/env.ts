import { ConfigError } from '../../core/errors.js';
import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { environmentInput, type EnvFlags } from '../client/env-input.js';
import { EXIT } from '../client/exit-codes.js';
import { renderData, renderTable, type OutputFormat } from '../client/output.js';
import { environmentColumns, environmentDetails } from '../client/scheduler-views.js';
import { endpointSettings, outputSetting } from '../client/settings.js';
import { defineSettings } from '../../core/config/index.js';

export const envSettings = defineSettings([
  {
    key: 'cluster',
    flag: 'cluster',
    type: 'string',
    placeholder: '<cluster>',
    description:
      'create: the ECS cluster to run the daemon on (required); list: only environments of this cluster.',
  },
  {
    key: 'taskDefinition',
    flag: 'task-definition',
    type: 'string',
    placeholder: '<task-definition>',
    description: 'create (required) / update: the task definition to run on every eligible instance.',
  },
  {
    key: 'attribute',
    flag: 'attribute',
    type: 'list',
    placeholder: '<name[=value]>',
    description: 'create / update: only instances with this attribute (and value); repeat for several.',
  },
  {
    key: 'query',
    flag: 'query',
    type: 'string',
    placeholder: '<cql>',
    description: 'create / update: only instances matching this cluster query language expression.',
  },
  {
    key: 'maxUnavailable',
    flag: 'max-unavailable',
    type: 'string',
    placeholder: '<count-or-%>',
    description:
      'create / update: instances that may be without a running daemon task during a rollout (default 1).',
  },
  {
    key: 'failureThreshold',
    flag: 'failure-threshold',
    type: 'string',
    placeholder: '<count-or-%>',
    description: 'create / update: a rollout fails when more instances than this fail (default 10%).',
  },
  {
    key: 'autoRollback',
    flag: 'auto-rollback',
    type: 'boolean',
    description:
      'create / update: deploy the last completed revision again when a rollout fails (default true).',
  },
  {
    key: 'foreignTasks',
    flag: 'foreign-tasks',
    type: 'enum',
    choices: ['ignore', 'adopt'],
    description:
      'create / update: what to do with tasks of the task definition started by someone else (default ignore).',
  },
  outputSetting,
  ...endpointSettings,
] as const);

export const ENV_SUBCOMMANDS = ['create', 'list', 'get', 'update', 'delete', 'revisions'] as const;

const USAGE: Record<(typeof ENV_SUBCOMMANDS)[number], string> = {
  create:
    'create <name> --cluster <cluster> --task-definition <td> [--attribute k=v]… [--query cql] [--max-unavailable n|n%] [--failure-threshold n|n%] [--auto-rollback bool] [--foreign-tasks ignore|adopt]',
  list: 'list [--cluster <cluster>]',
  get: 'get <name>',
  update:
    'update <name> [--task-definition td] [--attribute k=v]… [--query cql] [--max-unavailable …] [--failure-threshold …] [--auto-rollback bool] [--foreign-tasks …]',
  delete: 'delete <name>',
  revisions: 'revisions <name>',
};

/** `blox env`: create, list, describe, update and delete daemon environments. */
export const envCommand = defineCommand({
  name: 'env',
  description: `Manage daemon scheduler environments: ${ENV_SUBCOMMANDS.join(', ')}. An update makes a new revision; deploy it with blox deploy.`,
  settings: envSettings,
  args: ['[subcommand]', '[name]'],
  run: (config, _context, [subcommand = '', name = '']) =>
    runClient(config, async (ctx) => {
      const output = config.output as OutputFormat;
      const flags: EnvFlags = config;
      const need = () => {
        if (name === '')
          throw new ConfigError(`missing <name>; usage: blox env ${USAGE[subcommand as keyof typeof USAGE]}`);
        return name;
      };
      switch (subcommand) {
        case 'create': {
          if (!config.cluster || !config.taskDefinition)
            throw new ConfigError(
              `blox env create needs --cluster and --task-definition; usage: blox env ${USAGE.create}`,
            );
          const env = await ctx.scheduler.createEnvironment(environmentInput(flags, need()));
          if (output !== 'table') ctx.print(renderData(env, output));
          else
            ctx.print(
              `created environment ${env.name} (revision ${env.revision}: ${env.taskDefinition}); nothing runs until you deploy it: blox deploy ${env.name} --wait`,
            );
          return EXIT.ok;
        }
        case 'list': {
          const envs = await ctx.scheduler.listEnvironments(config.cluster);
          if (output !== 'table') ctx.print(renderData(envs, output));
          else if (envs.length === 0)
            ctx.printError(
              'No environments. Create one with: blox env create <name> --cluster <cluster> --task-definition <td>',
            );
          else ctx.print(renderTable(envs, environmentColumns(), { width: ctx.width, color: ctx.color }));
          return EXIT.ok;
        }
        case 'get': {
          const env = await ctx.scheduler.getEnvironment(need());
          ctx.print(output === 'table' ? environmentDetails(env) : renderData(env, output));
          return EXIT.ok;
        }
        case 'update': {
          const body = environmentInput(flags);
          if (Object.keys(body).length === 0)
            throw new ConfigError(`nothing to update; usage: blox env ${USAGE.update}`);
          const current = await ctx.scheduler.getEnvironment(need());
          const env = await ctx.scheduler.updateEnvironment(name, current.deploymentToken, body);
          if (output !== 'table') ctx.print(renderData(env, output));
          else
            ctx.print(
              `environment ${env.name} is at revision ${env.revision} (${env.taskDefinition}); roll it out with: blox deploy ${env.name} --wait`,
            );
          return EXIT.ok;
        }
        case 'delete': {
          await ctx.scheduler.deleteEnvironment(need());
          ctx.print(`deleted environment ${name}; its tasks are being stopped`);
          return EXIT.ok;
        }
        case 'revisions': {
          const revisions = await ctx.scheduler.listRevisions(need());
          if (output !== 'table') ctx.print(renderData(revisions, output));
          else
            ctx.print(
              renderTable(
                revisions,
                [
                  { header: 'REVISION', value: (r) => String(r.revision) },
                  { header: 'TASK DEFINITION', value: (r) => r.taskDefinition, flexible: true },
                  { header: 'CREATED', value: (r) => r.createdAt },
                ],
                { width: ctx.width, color: ctx.color },
              ),
            );
          return EXIT.ok;
        }
        default:
          throw new ConfigError(
            subcommand === ''
              ? `blox env needs a subcommand: ${ENV_SUBCOMMANDS.join(', ')} (e.g. blox env list)`
              : `unknown subcommand "${subcommand}" of blox env; use one of: ${ENV_SUBCOMMANDS.join(', ')}`,
          );
      }
    }),
});
