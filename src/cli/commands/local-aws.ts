import { ConfigError } from '../../core/errors.js';
import type { Config } from '../../core/config/index.js';
import { LocalAwsAdminClient, startLocalAws, type EventFaults } from '../../local/index.js';
import { defineCommand } from '../command.js';
import { localAwsSettings } from './local-aws-settings.js';

type LocalAwsConfig = Config<typeof localAwsSettings>;

const SUBCOMMANDS: Record<
  string,
  {
    usage: string;
    run: (client: LocalAwsAdminClient, args: string[], config: LocalAwsConfig) => Promise<unknown>;
  }
> = {
  status: { usage: 'status', run: (c) => c.status() },
  instances: { usage: 'instances <cluster>', run: (c, [cluster]) => c.instances(need(cluster, 'cluster')) },
  scale: {
    usage: 'scale <cluster> <count> [--instance-type t] [--az zone]… [--attribute k=v]…',
    run: (c, [cluster, count], config) =>
      c.scale(need(cluster, 'cluster'), wholeNumber(count, 'count'), {
        ...(config.instanceType ? { instanceType: config.instanceType } : {}),
        ...(config.az?.length ? { availabilityZones: config.az } : {}),
        ...(config.attribute?.length ? { attributes: parseAttributes(config.attribute) } : {}),
      }),
  },
  'remove-instances': {
    usage: 'remove-instances <cluster> <count | instance-arn…>',
    run: (c, [cluster, ...rest]) => {
      if (rest.length === 0) throw usage('remove-instances <cluster> <count | instance-arn…>');
      return c.removeInstances(
        need(cluster, 'cluster'),
        rest.length === 1 && /^\d+$/.test(rest[0]!) ? wholeNumber(rest[0], 'count') : rest,
      );
    },
  },
  'kill-instance': {
    usage: 'kill-instance <instance-arn>',
    run: (c, [arn]) => c.killInstance(need(arn, 'instance-arn')),
  },
  disconnect: {
    usage: 'disconnect <instance-arn>',
    run: (c, [arn]) => c.setAgentConnected(need(arn, 'instance-arn'), false),
  },
  reconnect: {
    usage: 'reconnect <instance-arn>',
    run: (c, [arn]) => c.setAgentConnected(need(arn, 'instance-arn'), true),
  },
  'crash-tasks': {
    usage:
      'crash-tasks <cluster | task-arn…> [--family f] [--group g] [--instance arn] [--count n] [--exit-code n]',
    run: (c, targets, config) => {
      if (targets.length === 0) throw usage('crash-tasks <cluster | task-arn…>');
      const taskArns = targets.filter((t) => t.startsWith('arn:'));
      const clusters = targets.filter((t) => !t.startsWith('arn:'));
      if (clusters.length > 1) throw new ConfigError('crash-tasks takes one cluster (or task ARNs)');
      return c.crashTasks({
        ...(clusters[0] ? { cluster: clusters[0] } : {}),
        ...(taskArns.length ? { taskArns } : {}),
        ...(config.family ? { family: config.family } : {}),
        ...(config.group ? { group: config.group } : {}),
        ...(config.instance ? { containerInstance: config.instance } : {}),
        ...(config.count !== undefined ? { count: config.count } : {}),
        ...(config.exitCode !== undefined ? { exitCode: config.exitCode } : {}),
      });
    },
  },
  faults: {
    usage: 'faults [--duplicate-rate p] [--drop-rate p] [--reorder-window n] [--event-delay d] [--seed n]',
    run: (c, _args, config) => {
      const knobs = faultKnobs(config);
      const seed = config.seed;
      if (Object.keys(knobs).length === 0 && seed === undefined) return c.faults();
      return c.setFaults({ ...knobs, ...(seed !== undefined ? { seed } : {}) });
    },
  },
  throttling: {
    usage: 'throttling on|off',
    run: (c, [state]) => {
      if (state !== 'on' && state !== 'off') throw usage('throttling on|off');
      return c.setThrottling(state === 'on');
    },
  },
  reset: { usage: 'reset', run: (c) => c.reset() },
  snapshot: { usage: 'snapshot [file]', run: (c, [file]) => c.snapshot(file) },
};

/**
 * `blox local-aws`: without a subcommand, runs the emulator (ECS + SQS + events + admin API on
 * one port) until SIGINT/SIGTERM; with one, drives a running emulator through its admin API.
 */
export const localAwsCommand = defineCommand({
  name: 'local-aws',
  description:
    'Run the local AWS emulator (ECS + SQS + ECS events on one port), or drive a running one: ' +
    Object.values(SUBCOMMANDS)
      .map((s) => s.usage.split(' ')[0])
      .join(', ') +
    '.',
  settings: localAwsSettings,
  args: ['[subcommand]', '[args...]'],
  async run(config, { logger, stopSignal }, positional) {
    const [subcommand = '', rawArgs = ''] = positional;
    if (subcommand !== '') {
      const sub = SUBCOMMANDS[subcommand];
      if (!sub)
        throw new ConfigError(
          `unknown subcommand "${subcommand}"; use one of: ${Object.keys(SUBCOMMANDS).join(', ')} (or none to run the emulator)`,
        );
      // Commander hands variadic arguments over joined by commas; no argument here contains one.
      const args = rawArgs === '' ? [] : rawArgs.split(',');
      const result = await sub.run(new LocalAwsAdminClient(config.endpoint), args, config);
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    const local = await startLocalAws({
      port: config.port,
      host: config.host,
      region: config.region,
      account: config.account,
      queues: config.queues,
      faults: faultKnobs(config),
      ...(config.seed !== undefined ? { seed: config.seed } : {}),
      throttling: config.throttling,
      taskStartDelayMs: config.taskStartDelay,
      taskStopDelayMs: config.taskStopDelay,
      ...(config.demoInstances > 0
        ? { demoCluster: { name: 'default', instances: config.demoInstances } }
        : {}),
      ...(config.snapshotFile ? { snapshotFile: config.snapshotFile } : {}),
      logger,
    });
    logger.info(
      {
        endpoint: local.endpoint,
        region: local.region,
        account: local.account,
        queues: local.events.queues,
        seed: local.events.seed,
      },
      `local AWS emulator listening on ${local.endpoint} (AWS_ENDPOINT_URL=${local.endpoint})`,
    );
    if (!stopSignal.aborted)
      await new Promise((resolve) => stopSignal.addEventListener('abort', resolve, { once: true }));
    logger.info('stopping the local AWS emulator');
    await local.close();
    return 0;
  },
});

function faultKnobs(config: LocalAwsConfig): Partial<EventFaults> {
  return {
    ...(config.duplicateRate !== undefined ? { duplicateRate: config.duplicateRate } : {}),
    ...(config.dropRate !== undefined ? { dropRate: config.dropRate } : {}),
    ...(config.reorderWindow !== undefined ? { reorderWindow: config.reorderWindow } : {}),
    ...(config.eventDelay !== undefined ? { delayMs: config.eventDelay } : {}),
  };
}

function need(value: string | undefined, name: string): string {
  if (!value) throw new ConfigError(`missing <${name}>; run blox local-aws --help for usage`);
  return value;
}

function wholeNumber(value: string | undefined, name: string): number {
  if (!value || !/^\d+$/.test(value))
    throw new ConfigError(`<${name}> must be a whole number; got "${value ?? ''}"`);
  return Number(value);
}

function usage(text: string): ConfigError {
  return new ConfigError(`usage: blox local-aws ${text}`);
}

function parseAttributes(list: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (name === '') throw new ConfigError(`--attribute "${item}" needs a name: name=value or name`);
    out[name] = eq < 0 ? null : item.slice(eq + 1);
  }
  return out;
}
