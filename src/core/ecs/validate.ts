import { isClusterArn, isContainerInstanceArn, isTaskArn, parseArn } from '../arn.js';
import type { ContainerInstanceDetail, EntityKind, TaskDetail } from './entities.js';
import { entityKey } from './keys.js';

/**
 * Validation of a task or container-instance `detail` (from an event, or built from a Describe*
 * response) into the facts Blox needs to store it: where it lives (account, region, cluster),
 * its key and its ECS version. Unknown fields are kept untouched; only the fields Blox relies on
 * are checked. Every failure names the field and what was expected, so a poison message can be
 * diagnosed from the log line alone.
 */

/** Why a detail cannot be stored. `missing-version` is separate: it was v0.3's silent trap. */
export type DetailProblem = 'bad-shape' | 'bad-arn' | 'missing-version';

export class DetailError extends Error {
  readonly problem: DetailProblem;
  constructor(problem: DetailProblem, message: string) {
    super(message);
    this.name = 'DetailError';
    this.problem = problem;
  }
}

/** A validated entity, ready to be ordered against the stored copy and written. */
export interface EntityUpdate<D = TaskDetail | ContainerInstanceDetail> {
  kind: EntityKind;
  account: string;
  region: string;
  /** Cluster name. */
  cluster: string;
  /** Store key (src/core/ecs/keys.ts). */
  key: string;
  /** The entity's ARN (taskArn or containerInstanceArn). */
  arn: string;
  /** ECS version (detail.version). */
  version: number;
  detail: D;
}

export type TaskUpdate = EntityUpdate<TaskDetail> & { kind: 'task' };
export type InstanceUpdate = EntityUpdate<ContainerInstanceDetail> & { kind: 'instance' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireString(d: Record<string, unknown>, field: string, what: string): string {
  const v = d[field];
  if (typeof v !== 'string' || v === '')
    throw new DetailError(
      'bad-shape',
      `${what} detail.${field} must be a non-empty string, got ${describe(v)}`,
    );
  return v;
}

function optionalType(
  d: Record<string, unknown>,
  field: string,
  type: 'string' | 'number' | 'boolean' | 'array' | 'object',
  what: string,
): void {
  const v = d[field];
  if (v === undefined || v === null) return;
  const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isRecord(v) : typeof v === type;
  if (!ok)
    throw new DetailError(
      'bad-shape',
      `${what} detail.${field} must be ${type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`} when present, got ${describe(v)}`,
    );
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return v === '' ? 'an empty string' : `the string ${JSON.stringify(v.slice(0, 80))}`;
  return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 80)})`;
}

function requireVersion(d: Record<string, unknown>, what: string): number {
  const v = d.version;
  if (v === undefined || v === null)
    throw new DetailError(
      'missing-version',
      `${what} detail.version is missing: ECS state-change events carry a numeric version that orders them, and an event without one cannot be ordered against later ones`,
    );
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new DetailError(
      'missing-version',
      `${what} detail.version must be a non-negative integer, got ${describe(v)}`,
    );
  return v;
}

function clusterScope(clusterArn: string, what: string) {
  if (!isClusterArn(clusterArn))
    throw new DetailError(
      'bad-arn',
      `${what} detail.clusterArn ${JSON.stringify(clusterArn)} is not an ECS cluster ARN (arn:<partition>:ecs:<region>:<account>:cluster/<name>)`,
    );
  const p = parseArn(clusterArn)!;
  return { account: p.account, region: p.region, cluster: p.resource };
}

/** Validates a task detail; throws DetailError naming the first problem. */
export function validateTaskDetail(detail: unknown): TaskUpdate {
  const what = 'task';
  if (!isRecord(detail))
    throw new DetailError('bad-shape', `task detail must be a JSON object, got ${describe(detail)}`);
  const taskArn = requireString(detail, 'taskArn', what);
  if (!isTaskArn(taskArn))
    throw new DetailError(
      'bad-arn',
      `task detail.taskArn ${JSON.stringify(taskArn)} is not an ECS task ARN (arn:<partition>:ecs:<region>:<account>:task/[<cluster>/]<id>)`,
    );
  const clusterArn = requireString(detail, 'clusterArn', what);
  const scope = clusterScope(clusterArn, what);
  requireString(detail, 'lastStatus', what);
  requireString(detail, 'desiredStatus', what);
  requireString(detail, 'taskDefinitionArn', what);
  const version = requireVersion(detail, what);
  for (const f of [
    'containerInstanceArn',
    'startedBy',
    'group',
    'launchType',
    'createdAt',
    'startedAt',
    'stoppingAt',
    'stoppedAt',
    'stoppedReason',
    'updatedAt',
  ])
    optionalType(detail, f, 'string', what);
  optionalType(detail, 'containers', 'array', what);
  optionalType(detail, 'overrides', 'object', what);
  if (Array.isArray(detail.containers) && detail.containers.some((c) => !isRecord(c)))
    throw new DetailError('bad-shape', 'task detail.containers must hold JSON objects');
  return {
    kind: 'task',
    ...scope,
    key: entityKey('task', scope.account, scope.region, scope.cluster, taskArn),
    arn: taskArn,
    version,
    detail: detail as TaskDetail,
  };
}

/** Validates a container-instance detail; throws DetailError naming the first problem. */
export function validateInstanceDetail(detail: unknown): InstanceUpdate {
  const what = 'container instance';
  if (!isRecord(detail))
    throw new DetailError(
      'bad-shape',
      `container instance detail must be a JSON object, got ${describe(detail)}`,
    );
  const arn = requireString(detail, 'containerInstanceArn', what);
  if (!isContainerInstanceArn(arn))
    throw new DetailError(
      'bad-arn',
      `container instance detail.containerInstanceArn ${JSON.stringify(arn)} is not an ECS container instance ARN (arn:<partition>:ecs:<region>:<account>:container-instance/[<cluster>/]<id>)`,
    );
  const clusterArn = requireString(detail, 'clusterArn', what);
  const scope = clusterScope(clusterArn, what);
  requireString(detail, 'status', what);
  if (typeof detail.agentConnected !== 'boolean')
    throw new DetailError(
      'bad-shape',
      `container instance detail.agentConnected must be a boolean, got ${describe(detail.agentConnected)}`,
    );
  const version = requireVersion(detail, what);
  for (const f of ['ec2InstanceId', 'agentUpdateStatus', 'registeredAt', 'updatedAt'])
    optionalType(detail, f, 'string', what);
  for (const f of ['attributes', 'registeredResources', 'remainingResources'])
    optionalType(detail, f, 'array', what);
  optionalType(detail, 'versionInfo', 'object', what);
  return {
    kind: 'instance',
    ...scope,
    key: entityKey('instance', scope.account, scope.region, scope.cluster, arn),
    arn,
    version,
    detail: detail as ContainerInstanceDetail,
  };
}
