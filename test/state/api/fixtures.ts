import type {
  StoredInstance,
  StoredTask,
  TaskDetail,
  ContainerInstanceDetail,
} from '../../../src/core/ecs/entities.js';
import { entityKey } from '../../../src/core/ecs/keys.js';
import type { Store } from '../../../src/store/types.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

export const clusterArn = (cluster: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;
/** New (long) ARN format by default; `old: true` for v0.3's `task/<id>`. */
export const taskArn = (cluster: string, id: string, old = false, account = ACCOUNT, region = REGION) =>
  `arn:aws:ecs:${region}:${account}:task/${old ? '' : cluster + '/'}${id}`;
export const instanceArn = (cluster: string, id: string, old = false, account = ACCOUNT, region = REGION) =>
  `arn:aws:ecs:${region}:${account}:container-instance/${old ? '' : cluster + '/'}${id}`;

export interface TaskSpec {
  cluster?: string;
  id: string;
  oldArn?: boolean;
  account?: string;
  region?: string;
  lastStatus?: string;
  desiredStatus?: string;
  startedBy?: string;
  instance?: string;
  family?: string;
  group?: string;
  version?: number;
  extra?: Partial<TaskDetail>;
}

export function task(spec: TaskSpec): StoredTask {
  const cluster = spec.cluster ?? 'default';
  const account = spec.account ?? ACCOUNT;
  const region = spec.region ?? REGION;
  const family = spec.family ?? 'web';
  const detail: TaskDetail = {
    taskArn: taskArn(cluster, spec.id, spec.oldArn, account, region),
    clusterArn: clusterArn(cluster, account, region),
    containerInstanceArn: instanceArn(cluster, spec.instance ?? 'i1', spec.oldArn, account, region),
    taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/${family}:3`,
    lastStatus: spec.lastStatus ?? 'RUNNING',
    desiredStatus: spec.desiredStatus ?? 'RUNNING',
    version: spec.version ?? 1,
    createdAt: '2017-01-02T03:04:05.000Z',
    group: spec.group ?? `family:${family}`,
    containers: [
      {
        containerArn: `arn:aws:ecs:${region}:${account}:container/${spec.id}-c`,
        name: 'app',
        lastStatus: spec.lastStatus ?? 'RUNNING',
        networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
      },
    ],
    overrides: { containerOverrides: [{ name: 'app', environment: [{ name: 'A', value: 'B' }] }] },
    ...(spec.startedBy !== undefined ? { startedBy: spec.startedBy } : {}),
    ...spec.extra,
  };
  return {
    kind: 'task',
    account,
    region,
    cluster,
    detail,
    source: 'event',
    observedAt: '2017-01-02T03:04:06.000Z',
  };
}

export interface InstanceSpec {
  cluster?: string;
  id: string;
  oldArn?: boolean;
  account?: string;
  region?: string;
  status?: string;
  attributes?: Array<{ name: string; value?: string }>;
  version?: number;
  extra?: Partial<ContainerInstanceDetail>;
}

export function instance(spec: InstanceSpec): StoredInstance {
  const cluster = spec.cluster ?? 'default';
  const account = spec.account ?? ACCOUNT;
  const region = spec.region ?? REGION;
  const detail: ContainerInstanceDetail = {
    containerInstanceArn: instanceArn(cluster, spec.id, spec.oldArn, account, region),
    clusterArn: clusterArn(cluster, account, region),
    status: spec.status ?? 'ACTIVE',
    agentConnected: true,
    version: spec.version ?? 1,
    ec2InstanceId: `i-${spec.id}`,
    attributes: spec.attributes ?? [{ name: 'ecs.instance-type', value: 't2.micro' }],
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: 3767 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2376'] },
    ],
    remainingResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }],
    versionInfo: { agentVersion: '1.14.0', agentHash: 'abc', dockerVersion: 'DockerVersion: 1.12' },
    registeredAt: '2017-01-01T00:00:00.000Z',
    ...spec.extra,
  };
  return {
    kind: 'instance',
    account,
    region,
    cluster,
    detail,
    source: 'event',
    observedAt: '2017-01-02T03:04:06.000Z',
  };
}

export function keyOf(e: StoredTask | StoredInstance): string {
  const arn = e.kind === 'task' ? e.detail.taskArn : e.detail.containerInstanceArn;
  return entityKey(e.kind, e.account, e.region, e.cluster, arn);
}

/** Writes entities as the state writer does (one key each); returns the revision of the last put. */
export async function putEntities(
  store: Store,
  entities: Array<StoredTask | StoredInstance>,
): Promise<number> {
  let rev = 0;
  for (const e of entities) rev = (await store.put(keyOf(e), JSON.stringify(e))).revision;
  return rev;
}

/** Writes entities in transactions of 100 keys (fast bulk loading for tests and benchmarks); returns the last revision. */
export async function putEntitiesBatched(
  store: Store,
  entities: Array<StoredTask | StoredInstance>,
): Promise<number> {
  let rev = 0;
  for (let i = 0; i < entities.length; i += 100) {
    const chunk = entities.slice(i, i + 100);
    rev = (
      await store.txn({
        success: chunk.map((e) => ({ type: 'put' as const, key: keyOf(e), value: JSON.stringify(e) })),
      })
    ).revision;
  }
  return rev;
}
