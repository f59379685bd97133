/**
 * JSON schemas of the state API: they drive the OpenAPI document (/openapi.json). Query strings
 * are validated by the routes themselves (query-params.ts) because v0.3's validation order and
 * messages (unsupported → repeated → status → cluster) cannot be expressed by JSON Schema
 * keywords; the schemas here document every parameter and response.
 */

import { errorResponseSchema } from '../../server/http-error.js';

const str = { type: 'string' } as const;
const nullableStr = { type: 'string', nullable: true } as const;

const errorSchema = errorResponseSchema;

const metadata = {
  type: 'object',
  required: ['entityVersion'],
  properties: {
    entityVersion: { ...str, description: 'Store revision (modRevision) of this version of the entity' },
  },
} as const;

export const v03TaskDetailSchema = {
  type: 'object',
  description:
    "Blox v0.3's task model (format=v03, the default). format=native returns the stored ECS document instead.",
  properties: {
    clusterARN: nullableStr,
    containerInstanceARN: nullableStr,
    containers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          containerARN: nullableStr,
          exitCode: { type: 'integer' },
          lastStatus: nullableStr,
          name: nullableStr,
          networkBindings: {
            type: 'array',
            nullable: true,
            items: {
              type: 'object',
              properties: {
                bindIP: nullableStr,
                containerPort: { type: 'integer', nullable: true },
                hostPort: { type: 'integer', nullable: true },
                protocol: str,
              },
            },
          },
          reason: str,
        },
      },
    },
    createdAt: nullableStr,
    desiredStatus: nullableStr,
    lastStatus: nullableStr,
    overrides: {
      type: 'object',
      properties: {
        containerOverrides: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              command: { type: 'array', nullable: true, items: str },
              environment: {
                type: 'array',
                nullable: true,
                items: { type: 'object', properties: { name: nullableStr, value: nullableStr } },
              },
              name: nullableStr,
            },
          },
        },
        taskRoleArn: str,
      },
    },
    startedAt: str,
    startedBy: str,
    stoppedAt: str,
    stoppedReason: str,
    taskARN: nullableStr,
    taskDefinitionARN: nullableStr,
  },
} as const;

const resource = {
  type: 'object',
  properties: {
    name: nullableStr,
    type: nullableStr,
    value: {
      ...str,
      description: 'DOUBLE with 2 decimals, INTEGER/LONG in decimal, STRINGSET joined with ","',
    },
  },
} as const;

export const v03InstanceDetailSchema = {
  type: 'object',
  description: "Blox v0.3's container instance model (format=v03, the default).",
  properties: {
    EC2InstanceID: str,
    agentConnected: { type: 'boolean', nullable: true },
    agentUpdateStatus: str,
    attributes: {
      type: 'array',
      nullable: true,
      items: { type: 'object', properties: { name: nullableStr, value: nullableStr } },
    },
    clusterARN: nullableStr,
    containerInstanceARN: nullableStr,
    registeredResources: { type: 'array', items: resource },
    remainingResources: { type: 'array', items: resource },
    status: nullableStr,
    versionInfo: {
      type: 'object',
      nullable: true,
      properties: { agentHash: str, agentVersion: str, dockerVersion: str },
    },
  },
} as const;

export const taskItemSchema = {
  type: 'object',
  properties: { entity: v03TaskDetailSchema, metadata },
} as const;
export const instanceItemSchema = {
  type: 'object',
  properties: { entity: v03InstanceDetailSchema, metadata },
} as const;

const listOf = (item: object, what: string) =>
  ({
    type: 'object',
    required: ['items'],
    description: `List of ${what}; nextToken is present when another page follows (only with limit or nextToken)`,
    properties: { items: { type: 'array', items: item }, nextToken: str },
  }) as const;

const q = (description: string) => ({ type: 'string', description }) as const;

const commonListQuery = {
  status: q('Status to filter by, any case'),
  cluster: q('Cluster name or ARN'),
  account: q('AWS account ID (12 digits)'),
  region: q('AWS region'),
  limit: q('Page size, 1-10000; without limit and nextToken every match is returned'),
  nextToken: q('Continuation from the previous page'),
  format: { type: 'string', enum: ['v03', 'native'], description: 'Entity representation (default v03)' },
} as const;

const taskFilterQuery = {
  startedBy: q('Exact startedBy'),
  desiredStatus: q('Desired status, any case'),
  containerInstance: q('Container instance ARN or ID'),
  family: q('Task definition family'),
} as const;

const errors = { 400: errorSchema, 404: errorSchema, 410: errorSchema, 500: errorSchema };

export const listTasksSchema = {
  summary: 'List tasks, after applying filters if any',
  tags: ['state'],
  querystring: { type: 'object', properties: { ...commonListQuery, ...taskFilterQuery } },
  response: { 200: listOf(taskItemSchema, 'tasks'), 400: errorSchema },
} as const;

export const listInstancesSchema = {
  summary: 'List container instances, after applying filters if any',
  tags: ['state'],
  querystring: {
    type: 'object',
    properties: {
      ...commonListQuery,
      filter: q('ECS cluster query language expression, e.g. attribute:ecs.instance-type =~ t2.*'),
      attribute: {
        type: 'array',
        items: str,
        description: 'name or name=value; repeatable, all must match',
      },
    },
  },
  response: { 200: listOf(instanceItemSchema, 'container instances'), 400: errorSchema },
} as const;

const getParams = (what: string) =>
  ({
    type: 'object',
    properties: {
      cluster: q(`Cluster name of the ${what}`),
      '*': q(`ARN of the ${what} (old or new format; may be percent-encoded)`),
    },
  }) as const;

export const getTaskSchema = {
  summary: 'Get a task by cluster name and task ARN',
  tags: ['state'],
  params: getParams('task'),
  querystring: { type: 'object', properties: { format: commonListQuery.format } },
  response: { 200: taskItemSchema, 404: errorSchema },
} as const;

export const getInstanceSchema = {
  summary: 'Get a container instance by cluster name and instance ARN',
  tags: ['state'],
  params: getParams('container instance'),
  querystring: { type: 'object', properties: { format: commonListQuery.format } },
  response: { 200: instanceItemSchema, 404: errorSchema },
} as const;

const streamQuery = {
  entityVersion: q('Replay every change from this entity version on (inclusive), then follow live'),
  status: commonListQuery.status,
  cluster: commonListQuery.cluster,
  account: commonListQuery.account,
  region: commonListQuery.region,
  format: commonListQuery.format,
} as const;

export const streamTasksSchema = {
  summary:
    'Stream task changes: newline-delimited JSON, or Server-Sent Events with Accept: text/event-stream',
  tags: ['state'],
  querystring: { type: 'object', properties: { ...streamQuery, ...taskFilterQuery } },
  response: { 200: { type: 'string', format: 'binary' }, ...errors },
} as const;

export const streamInstancesSchema = {
  summary: 'Stream container instance changes: newline-delimited JSON, or Server-Sent Events',
  tags: ['state'],
  querystring: { type: 'object', properties: streamQuery },
  response: { 200: { type: 'string', format: 'binary' }, ...errors },
} as const;

export const clustersSchema = {
  summary: 'Clusters that hold at least one task or container instance',
  tags: ['state'],
  response: {
    200: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              clusterARN: str,
              clusterName: str,
              account: str,
              region: str,
              tasks: { type: 'integer' },
              instances: { type: 'integer' },
            },
          },
        },
      },
    },
  },
} as const;

export const statusSchema = {
  summary: 'Index, ingest and reconcile status',
  tags: ['state'],
  response: { 200: { type: 'object', additionalProperties: true } },
} as const;

export const streamEntitiesSchema = {
  summary:
    'Stream task and container instance changes together, in revision order (for informers; use format=native to tell kinds apart)',
  tags: ['state'],
  querystring: {
    type: 'object',
    properties: {
      entityVersion: streamQuery.entityVersion,
      cluster: streamQuery.cluster,
      account: streamQuery.account,
      region: streamQuery.region,
      format: streamQuery.format,
    },
  },
  response: { 200: { type: 'string', format: 'binary' }, ...errors },
} as const;
