import type { StoredInstance, StoredTask, TaskDetail } from '../../../src/core/ecs/entities.js';
import { CLUSTER, TD2, instanceArn, taskArn } from './fixtures.js';

/** Stored entities as the state service keeps them, for sources and informers. */
export function storedInstance(
  n: number | string,
  over: Partial<StoredInstance['detail']> = {},
): StoredInstance {
  return {
    kind: 'instance',
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'default',
    source: 'event',
    observedAt: '2026-01-01T00:00:00Z',
    detail: {
      containerInstanceArn: instanceArn(n),
      clusterArn: CLUSTER,
      status: 'ACTIVE',
      agentConnected: true,
      version: 1,
      attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1a' }],
      ...over,
    },
  };
}

export function storedTask(
  n: number | string,
  on: number | string,
  over: Partial<TaskDetail> = {},
): StoredTask {
  return {
    kind: 'task',
    account: '123456789012',
    region: 'us-east-1',
    cluster: 'default',
    source: 'event',
    observedAt: '2026-01-01T00:00:00Z',
    detail: {
      taskArn: taskArn(n),
      clusterArn: CLUSTER,
      containerInstanceArn: instanceArn(on),
      taskDefinitionArn: TD2,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      version: 1,
      ...over,
    },
  };
}
