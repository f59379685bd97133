import { defineCommand } from '../command.js';
import { runClient } from '../client/context.js';
import { compactFilter } from '../client/entity-filter.js';
import { listEntities } from '../client/entity-list.js';
import { endpointSettings, instanceFilterSettings, outputSetting, watchSetting } from '../client/settings.js';
import type { OutputFormat } from '../client/output.js';

/** `blox instances`: container instances from the cluster state API; --watch follows changes. */
export const instancesCommand = defineCommand({
  name: 'instances',
  description:
    'List container instances from the cluster state service (filters including CQL, -o table|json|yaml, --watch for live changes).',
  settings: [...instanceFilterSettings, outputSetting, watchSetting, ...endpointSettings] as const,
  run: (config, { stopSignal }) =>
    runClient(config, (ctx) =>
      listEntities(ctx, {
        kind: 'instance',
        filter: compactFilter({
          cluster: config.cluster,
          status: config.status,
          filter: config.filter,
          attribute: config.attribute,
        }),
        output: config.output as OutputFormat,
        watch: config.watch,
        stopSignal,
      }),
    ),
});
