import { defineSettings } from '../../core/config/index.js';
import { OUTPUT_FORMATS } from './output.js';

/** The default API: what `blox up` serves (state and scheduler routes on one port). */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:2000';

const url = (v: unknown) =>
  /^https?:\/\/[^\s/]+(\/\S*)?$/.test(String(v))
    ? undefined
    : 'expected an http(s) URL such as http://127.0.0.1:2000';

/** Where the client commands find the API; the split endpoints override the one for their routes. */
export const endpointSettings = defineSettings([
  {
    key: 'endpoint',
    flag: 'endpoint',
    env: 'BLOX_ENDPOINT',
    type: 'string',
    default: DEFAULT_ENDPOINT,
    placeholder: '<url>',
    validate: url,
    description: 'Blox API to talk to (what `blox up` serves: state and scheduler routes on one port).',
  },
  {
    key: 'stateEndpoint',
    flag: 'state-endpoint',
    env: 'BLOX_STATE_ENDPOINT',
    type: 'string',
    placeholder: '<url>',
    validate: url,
    description:
      'Cluster state API, when it runs apart from the scheduler (overrides --endpoint for instances and tasks).',
  },
  {
    key: 'schedulerEndpoint',
    flag: 'scheduler-endpoint',
    env: 'BLOX_SCHEDULER_ENDPOINT',
    type: 'string',
    placeholder: '<url>',
    validate: url,
    description:
      'Scheduler API, when it runs apart from the state service (overrides --endpoint for environments and deployments).',
  },
] as const);

/**
 * `--output`. The placeholder carries commander's "long then short" form, so `-o json` works
 * while the flag, its variable and its config key stay declared once.
 */
export const outputSetting = {
  key: 'output',
  flag: 'output',
  env: 'BLOX_OUTPUT',
  type: 'enum',
  choices: OUTPUT_FORMATS,
  default: 'table',
  placeholder: '-o <format>',
  description: 'Output format (-o for short).',
} as const;

/** Filters of `blox tasks` (the API's query parameters of GET /v1/tasks). */
export const taskFilterSettings = defineSettings([
  {
    key: 'cluster',
    flag: 'cluster',
    type: 'string',
    placeholder: '<cluster>',
    description: 'Only this cluster.',
  },
  {
    key: 'status',
    flag: 'status',
    type: 'string',
    placeholder: '<status>',
    description: 'Only tasks whose lastStatus is this (e.g. RUNNING, PENDING, STOPPED).',
  },
  {
    key: 'desiredStatus',
    flag: 'desired-status',
    type: 'string',
    placeholder: '<status>',
    description: 'Only tasks whose desiredStatus is this.',
  },
  {
    key: 'startedBy',
    flag: 'started-by',
    type: 'string',
    placeholder: '<text>',
    description: 'Only tasks started by this (exact, case-sensitive).',
  },
  {
    key: 'family',
    flag: 'family',
    type: 'string',
    placeholder: '<family>',
    description: 'Only tasks of this task definition family.',
  },
  {
    key: 'containerInstance',
    flag: 'container-instance',
    type: 'string',
    placeholder: '<instance>',
    description: 'Only tasks on this container instance (ID or ARN).',
  },
] as const);

/** Filters of `blox instances` (the API's query parameters of GET /v1/instances). */
export const instanceFilterSettings = defineSettings([
  {
    key: 'cluster',
    flag: 'cluster',
    type: 'string',
    placeholder: '<cluster>',
    description: 'Only this cluster.',
  },
  {
    key: 'status',
    flag: 'status',
    type: 'string',
    placeholder: '<status>',
    description: 'Only instances with this status (e.g. ACTIVE, DRAINING).',
  },
  {
    key: 'filter',
    flag: 'filter',
    type: 'string',
    placeholder: '<cql>',
    description: 'ECS cluster query language expression, e.g. "attribute:ecs.instance-type == t3.medium".',
  },
  {
    key: 'attribute',
    flag: 'attribute',
    type: 'list',
    placeholder: '<name[=value]>',
    description: 'Only instances with this attribute (and value); repeat for several, all must match.',
  },
] as const);

export const watchSetting = {
  key: 'watch',
  flag: 'watch',
  type: 'boolean',
  default: false,
  description:
    'After the list, print every change as it happens (from the stream, resuming across reconnects) until Ctrl-C.',
} as const;
