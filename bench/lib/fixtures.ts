/** Synthetic cluster state and ECS events for the scenarios, and the stores they run against. */
import type { StoredInstance, StoredTask } from '../../src/core/ecs/entities.js';
import { entityKey } from '../../src/core/ecs/keys.js';
import { openStore, type Store } from '../../src/store/index.js';
import { pool } from './stats.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
const arn = (type: string, rest: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${type}/${rest}`;

/** A wall-clock time in ms with sub-ms precision that means the same in every process of the machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Tasks are spread over clusters of at most 10,000 tasks (so a cluster's unpaginated list is ≤ 10,000). */
export function clustersFor(tasks: number): number {
  return Math.max(1, Math.ceil(tasks / 10_000));
}

export function taskOf(i: number, clusters: number, instances: number): StoredTask {
  const cluster = `c${i % clusters}`;
  const id = `t${String(i).padStart(7, '0')}`;
  const status = i % 20 === 0 ? 'PENDING' : i % 7 === 0 ? 'STOPPED' : 'RUNNING';
  const family = `fam${i % 20}`;
  return {
    kind: 'task',
    account: ACCOUNT,
    region: REGION,
    cluster,
    source: 'event',
    observedAt: '2026-01-01T00:00:00.000Z',
    detail: {
      taskArn: arn('task', `${cluster}/${id}`),
      clusterArn: arn('cluster', cluster),
      containerInstanceArn: arn(
        'container-instance',
        `${cluster}/ci${String(i % instances).padStart(5, '0')}`,
      ),
      taskDefinitionArn: arn('task-definition', `${family}:3`),
      lastStatus: status,
      desiredStatus: status === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      version: 3,
      startedBy: `svc-${i % 50}`,
      group: `family:${family}`,
      launchType: 'EC2',
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:01.000Z',
      containers: [
        {
          containerArn: arn('container', `${cluster}/${id}/app`),
          name: 'app',
          lastStatus: status,
          networkBindings: [
            { bindIP: '0.0.0.0', containerPort: 80, hostPort: 30000 + (i % 1000), protocol: 'tcp' },
          ],
        },
      ],
      overrides: { containerOverrides: [{ name: 'app' }] },
    },
  };
}

export function instanceOf(i: number, clusters: number): StoredInstance {
  const cluster = `c${i % clusters}`;
  const id = `ci${String(i).padStart(5, '0')}`;
  return {
    kind: 'instance',
    account: ACCOUNT,
    region: REGION,
    cluster,
    source: 'event',
    observedAt: '2026-01-01T00:00:00.000Z',
    detail: {
      containerInstanceArn: arn('container-instance', `${cluster}/${id}`),
      clusterArn: arn('cluster', cluster),
      status: 'ACTIVE',
      agentConnected: true,
      version: 5,
      ec2InstanceId: `i-${id}`,
      attributes: [{ name: 'ecs.instance-type', value: 'm5.large' }],
      registeredResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
      ],
      remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 1024 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 },
      ],
      versionInfo: { agentVersion: '1.80.0' },
    },
  };
}

export function keyOf(e: StoredTask | StoredInstance): string {
  return entityKey(
    e.kind,
    e.account,
    e.region,
    e.cluster,
    e.kind === 'task' ? e.detail.taskArn : e.detail.containerInstanceArn,
  );
}

/**
 * Persists `tasks` tasks and `instances` instances, 100 per transaction, a few transactions in
 * flight (etcd answers each after a network round trip; the embedded store is not slowed by it).
 */
export async function loadState(store: Store, tasks: number, instances: number): Promise<void> {
  const clusters = clustersFor(tasks);
  const total = instances + tasks;
  const entity = (i: number) =>
    i < instances ? instanceOf(i, clusters) : taskOf(i - instances, clusters, instances);
  await pool(Math.ceil(total / 100), 4, (b) =>
    store.txn({
      success: Array.from({ length: Math.min(100, total - b * 100) }, (_, j) => {
        const e = entity(b * 100 + j);
        return { type: 'put' as const, key: keyOf(e), value: JSON.stringify(e) };
      }),
    }),
  );
}

export type StoreSpec =
  { backend: 'sqlite'; dataDir: string } | { backend: 'etcd'; endpoints: string[]; namespace: string };

export function openSpec(spec: StoreSpec): Promise<Store> {
  return spec.backend === 'sqlite'
    ? openStore({ backend: 'sqlite', dataDir: spec.dataDir, compaction: { intervalMs: 0 } })
    : openStore({
        backend: 'etcd',
        endpoints: spec.endpoints,
        namespace: spec.namespace,
        compaction: { intervalMs: 0 },
      });
}

const TASK_STATUSES = [
  ['PENDING', 'RUNNING'],
  ['RUNNING', 'RUNNING'],
  ['RUNNING', 'STOPPED'],
  ['STOPPED', 'STOPPED'],
] as const;

/** An EventBridge "ECS Task State Change" message body for task `id` at `version` (1..4). */
export function taskEvent(cluster: string, id: string, version: number): string {
  const now = new Date().toISOString();
  const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`;
  const [last, desired] = TASK_STATUSES[(version - 1) % 4]!;
  return JSON.stringify({
    version: '0',
    id: `${id}-${version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    region: REGION,
    time: now,
    resources: [taskArn],
    detail: {
      taskArn,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`,
      containerInstanceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${cluster}/${id.slice(-6)}`,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:1`,
      lastStatus: last,
      desiredStatus: desired,
      group: 'family:web',
      launchType: 'EC2',
      startedBy: 'bench',
      containers: [{ name: 'web', lastStatus: last, image: 'nginx' }],
      createdAt: now,
      updatedAt: now,
      version,
    },
  });
}

/** `n` events: ceil(n/4) tasks × 4 versions, interleaved so one receive mostly holds distinct tasks. */
export function taskEvents(n: number, cluster: string, prefix: string): string[] {
  const tasks = Math.ceil(n / 4);
  const out: string[] = [];
  for (let v = 1; v <= 4; v++)
    for (let t = 0; t < tasks && out.length < n; t++)
      out.push(taskEvent(cluster, `${prefix}${String(t).padStart(8, '0')}`, v));
  return out;
}
