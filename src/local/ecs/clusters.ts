import { buildClusterArn, clusterName, isClusterName } from '../../core/arn.js';
import { AwsError } from '../http/aws-error.js';
import type { EcsContext } from './context.js';
import type { ClusterRecord } from './types.js';
import {
  asInput,
  decodeToken,
  encodeToken,
  invalidParameter,
  optObjectList,
  optString,
  optStringList,
  pageSize,
} from './validate.js';

/** CreateCluster, DeleteCluster, DescribeClusters, ListClusters. */

export function clusterShape(ctx: EcsContext, c: ClusterRecord): Record<string, unknown> {
  let active = 0;
  let draining = 0;
  let running = 0;
  let pending = 0;
  const index = ctx.state.instancesOf(c.name);
  if (index && c.status === 'ACTIVE')
    for (const inst of index.values(ctx.state.isInstanceLive)) {
      if (inst.status === 'ACTIVE') active++;
      else if (inst.status === 'DRAINING') draining++;
      // The cluster counts tasks by their last status (an instance's runningTasksCount is by
      // desired status, so it includes its PENDING tasks).
      for (const t of inst.tasks)
        if (t.lastStatus === 'RUNNING') running++;
        else if (t.lastStatus === 'PENDING') pending++;
    }
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: active + draining,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: 0,
    statistics: [],
    tags: c.tags.map((t) => ({ ...t })),
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

export function createCluster(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const name = optString(input, 'clusterName') ?? 'default';
  if (!isClusterName(name))
    throw invalidParameter(
      'Cluster name must be 1-255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.',
    );
  const tags = (optObjectList(input, 'tags') ?? []).map((t) => ({
    key: String(t.key ?? ''),
    value: String(t.value ?? ''),
  }));
  return { cluster: clusterShape(ctx, ensureCluster(ctx, name, tags)) };
}

/** Idempotent, as CreateCluster is: an existing ACTIVE cluster is returned unchanged. */
export function ensureCluster(
  ctx: EcsContext,
  name: string,
  tags: { key: string; value: string }[] = [],
): ClusterRecord {
  const existing = ctx.state.clusters.get(name);
  if (existing && existing.status === 'ACTIVE') return existing;
  const record: ClusterRecord = {
    name,
    arn: buildClusterArn(ctx.scope, name),
    status: 'ACTIVE',
    tags,
    createdAt: ctx.now(),
  };
  ctx.state.clusters.set(name, record);
  return record;
}

export function deleteCluster(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  if (optString(input, 'cluster') === undefined) throw invalidParameter('Cluster cannot be empty.');
  const cluster = ctx.cluster(input);
  const index = ctx.state.instancesOf(cluster.name);
  if (index)
    for (const inst of index.values(ctx.state.isInstanceLive)) {
      if (inst.status !== 'INACTIVE')
        throw new AwsError(
          'ClusterContainsContainerInstancesException',
          'The Cluster cannot be deleted while Container Instances are active or draining.',
        );
    }
  const tasks = ctx.state.taskIndex(cluster.name, 'RUNNING');
  if (tasks)
    for (const _ of tasks.values(ctx.state.liveFor('RUNNING'))) {
      throw new AwsError(
        'ClusterContainsTasksException',
        'The Cluster cannot be deleted while Tasks are active.',
      );
    }
  cluster.status = 'INACTIVE';
  return { cluster: clusterShape(ctx, cluster) };
}

export function describeClusters(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const refs = optStringList(input, 'clusters') ?? ['default'];
  if (refs.length > 100) throw invalidParameter('Clusters cannot have more than 100 elements.');
  const clusters: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const name = clusterName(ref);
    const c = name === undefined ? undefined : ctx.state.clusters.get(name);
    if (c && (!ref.startsWith('arn:') || ref === c.arn)) clusters.push(clusterShape(ctx, c));
    else
      failures.push({
        arn: ref.startsWith('arn:') ? ref : buildClusterArn(ctx.scope, ref),
        reason: 'MISSING',
      });
  }
  return { clusters, failures };
}

export function listClusters(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const limit = pageSize(input);
  const after = decodeToken(input, 'clusters');
  const active = [...ctx.state.clusters.values()].filter((c) => c.status === 'ACTIVE');
  const page = active.slice(after, after + limit);
  const more = after + limit < active.length;
  return {
    clusterArns: page.map((c) => c.arn),
    nextToken: more ? encodeToken('clusters', after + limit) : undefined,
  };
}
