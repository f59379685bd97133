import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { compactFilter } from '../client/entity-filter.js';
import { listEntities } from '../client/entity-list.js';
import { endpointSettings, outputSetting, taskFilterSettings, watchSetting } from '../client/settings.js';
import type { OutputFormat } from '../client/output.js';

/** `blox tasks`: tasks from the cluster state API, filtered, as a table, JSON or YAML; --watch follows changes. */
export const tasksCommand = defineCommand({
  name: 'tasks',
  description:
    'List tasks from the cluster state service (filters, -o table|json|yaml, --watch for live changes).',
  settings: [...taskFilterSettings, outputSetting, watchSetting, ...endpointSettings] as const,
  run: (config, { stopSignal }) =>
    runClient(config, (ctx) =>
      listEntities(ctx, {
        kind: 'task',
        filter: compactFilter({
          cluster: config.cluster,
          status: config.status,
          desiredStatus: config.desiredStatus,
          startedBy: config.startedBy,
          family: config.family,
          containerInstance: config.containerInstance,
        }),
        output: config.output as OutputFormat,
        watch: config.watch,
        stopSignal,
      }),
    ),
});
