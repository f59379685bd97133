import {
  environmentGroup,
  v03Status,
  type Deployment,
  type EnvironmentRecord,
  type Revision,
  type StatusCounts,
} from '../model.js';

/**
 * Wire shapes. v0.3 field names first (name, instanceGroup.cluster, taskDefinition,
 * deploymentToken, health; id, status, environmentName, taskDefinition, failedInstances), then
 * what Blox adds. Lists are `{items, nextToken?}` as in v0.3's swagger.
 */
export function environmentBody(env: EnvironmentRecord, revision: Revision, status?: StatusCounts) {
  return {
    name: env.name,
    instanceGroup: {
      cluster: env.clusterArn,
      ...(revision.instanceFilter.attributes ? { attributes: revision.instanceFilter.attributes } : {}),
      ...(revision.instanceFilter.query ? { query: revision.instanceFilter.query } : {}),
    },
    taskDefinition: revision.taskDefinition,
    deploymentToken: env.token,
    health: env.health,
    revision: env.latestRevision,
    ...(env.activeRevision !== undefined ? { activeRevision: env.activeRevision } : {}),
    deploymentConfiguration: revision.deploymentConfiguration,
    foreignTasks: revision.foreignTasks,
    group: environmentGroup(env),
    ...(env.currentDeployment ? { currentDeployment: env.currentDeployment } : {}),
    ...(env.lastDeployment ? { lastDeployment: env.lastDeployment } : {}),
    ...(status ? { status } : {}),
    createdAt: env.createdAt,
    updatedAt: env.updatedAt,
  };
}

export function deploymentBody(d: Deployment) {
  return {
    id: d.id,
    environmentName: d.environment,
    status: v03Status(d.state),
    state: d.state,
    taskDefinition: d.taskDefinition,
    revision: d.revision,
    failedInstances: d.failures.map((f) => f.instance),
    failures: d.failures,
    ...(d.counts ? { counts: d.counts } : {}),
    ...(d.maxUnavailableSeen !== undefined ? { maxUnavailableSeen: d.maxUnavailableSeen } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.rollbackOf ? { rollbackOf: d.rollbackOf } : {}),
    ...(d.rolledBackBy ? { rolledBackBy: d.rolledBackBy } : {}),
    createdAt: d.createdAt,
    ...(d.startedAt ? { startedAt: d.startedAt } : {}),
    ...(d.endedAt ? { endedAt: d.endedAt } : {}),
  };
}

export const revisionBody = (r: Revision) => r;

// JSON schemas for the OpenAPI document (validation of inputs happens in validate.ts, so that
// messages keep v0.3's wording).
const counts = {
  type: 'object',
  properties: Object.fromEntries(
    ['desired', 'current', 'updated', 'available', 'failed', 'misscheduled'].map((k) => [
      k,
      { type: 'integer' },
    ]),
  ),
} as const;
export const environmentSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    instanceGroup: {
      type: 'object',
      additionalProperties: true,
      properties: { cluster: { type: 'string' } },
    },
    taskDefinition: { type: 'string' },
    deploymentToken: { type: 'string' },
    health: { type: 'string', enum: ['healthy', 'unhealthy'] },
    revision: { type: 'integer' },
    status: counts,
  },
} as const;
export const deploymentSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    environmentName: { type: 'string' },
    status: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'in_progress', 'completed', 'failed', 'rolled_back'] },
    taskDefinition: { type: 'string' },
    failedInstances: { type: 'array', items: { type: 'string' } },
  },
} as const;
export const listOf = (item: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextToken: { type: 'string' } },
  }) as const;
