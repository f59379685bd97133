/**
 * Amazon Resource Names of ECS: parsing, building and validation, for both the old short format
 * (`task/<id>`) and the new long format (`task/<cluster>/<id>`), in any partition (aws, aws-cn,
 * aws-us-gov). Blox v0.3 accepted only the old format and the `aws` partition; we accept all.
 */

export type EcsResourceType =
  'cluster' | 'task' | 'container-instance' | 'task-definition' | 'container' | 'service';

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resourceType: string;
  /** Everything after `<resourceType>/`. */
  resource: string;
}

const ARN_RE =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):([a-z-]+)\/(.+)$/;
/** ECS cluster names: 1–255 letters, digits, hyphens and underscores. */
const CLUSTER_NAME_RE = /^[a-zA-Z0-9_-]{1,255}$/;
const ID_RE = /^[a-zA-Z0-9_-]{1,255}$/;
const FAMILY_RE = /^[a-zA-Z0-9_-]{1,255}$/;

export function parseArn(arn: string): ParsedArn | undefined {
  const m = ARN_RE.exec(arn);
  if (!m) return undefined;
  return {
    partition: m[1]!,
    service: m[2]!,
    region: m[3]!,
    account: m[4]!,
    resourceType: m[5]!,
    resource: m[6]!,
  };
}

export function isClusterName(name: string): boolean {
  return CLUSTER_NAME_RE.test(name);
}

/** A cluster ARN: `arn:<partition>:ecs:<region>:<account>:cluster/<name>`. */
export function isClusterArn(arn: string): boolean {
  const p = parseArn(arn);
  return (
    !!p &&
    p.service === 'ecs' &&
    p.resourceType === 'cluster' &&
    p.region !== '' &&
    p.account !== '' &&
    isClusterName(p.resource)
  );
}

/** Cluster name from a cluster ARN or a bare name; undefined when neither. */
export function clusterName(nameOrArn: string): string | undefined {
  if (isClusterName(nameOrArn)) return nameOrArn;
  if (isClusterArn(nameOrArn)) return parseArn(nameOrArn)!.resource;
  return undefined;
}

function isEntityArn(arn: string, type: 'task' | 'container-instance'): boolean {
  const p = parseArn(arn);
  if (!p || p.service !== 'ecs' || p.resourceType !== type || p.region === '' || p.account === '')
    return false;
  const parts = p.resource.split('/');
  if (parts.length === 1) return ID_RE.test(parts[0]!);
  if (parts.length === 2) return isClusterName(parts[0]!) && ID_RE.test(parts[1]!);
  return false;
}

export function isTaskArn(arn: string): boolean {
  return isEntityArn(arn, 'task');
}

export function isContainerInstanceArn(arn: string): boolean {
  return isEntityArn(arn, 'container-instance');
}

/** The last path segment of a task or container-instance ARN (its ID), in both formats. */
export function resourceId(arn: string): string {
  const i = arn.lastIndexOf('/');
  return i < 0 ? arn : arn.slice(i + 1);
}

export interface ArnScope {
  partition?: string;
  region: string;
  account: string;
}

export function buildClusterArn(scope: ArnScope, name: string): string {
  return `arn:${scope.partition ?? 'aws'}:ecs:${scope.region}:${scope.account}:cluster/${name}`;
}

/** New long format: `task/<cluster>/<id>`. */
export function buildTaskArn(scope: ArnScope, cluster: string, id: string): string {
  return `arn:${scope.partition ?? 'aws'}:ecs:${scope.region}:${scope.account}:task/${cluster}/${id}`;
}

export function buildContainerInstanceArn(scope: ArnScope, cluster: string, id: string): string {
  return `arn:${scope.partition ?? 'aws'}:ecs:${scope.region}:${scope.account}:container-instance/${cluster}/${id}`;
}

export function buildTaskDefinitionArn(scope: ArnScope, family: string, revision: number): string {
  return `arn:${scope.partition ?? 'aws'}:ecs:${scope.region}:${scope.account}:task-definition/${family}:${revision}`;
}

export function buildContainerArn(scope: ArnScope, cluster: string, taskId: string, id: string): string {
  return `arn:${scope.partition ?? 'aws'}:ecs:${scope.region}:${scope.account}:container/${cluster}/${taskId}/${id}`;
}

/** `family:revision` parts of a task definition ARN or `family[:revision]` reference. */
export function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } | undefined {
  const p = parseArn(ref);
  const body = p
    ? p.service === 'ecs' && p.resourceType === 'task-definition'
      ? p.resource
      : undefined
    : ref;
  if (body === undefined) return undefined;
  const m = /^([^:/]+)(?::(\d+))?$/.exec(body);
  if (!m || !FAMILY_RE.test(m[1]!)) return undefined;
  return m[2] === undefined ? { family: m[1]! } : { family: m[1]!, revision: Number(m[2]) };
}
