import type { InstanceView, TaskView } from '../../../src/scheduler/framework/views.js';
import type { PlannerEnvironment } from '../../../src/scheduler/daemon/planner.js';

/** Small builders for pure planner tests: plain data, no I/O. */
export const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/default';
export const TD1 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/daemon:1';
export const TD2 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/daemon:2';
export const GROUP = 'blox:env:abc123';

export const instanceArn = (n: number | string) =>
  `arn:aws:ecs:us-east-1:123456789012:container-instance/default/i${n}`;
export const taskArn = (n: number | string) => `arn:aws:ecs:us-east-1:123456789012:task/default/t${n}`;

export function instance(n: number | string, over: Partial<InstanceView> = {}): InstanceView {
  return {
    arn: instanceArn(n),
    clusterArn: CLUSTER,
    status: 'ACTIVE',
    agentConnected: true,
    attributes: {},
    runningTasksCount: 0,
    version: 1,
    ...over,
  };
}

export function task(n: number | string, on: number | string, over: Partial<TaskView> = {}): TaskView {
  return {
    arn: taskArn(n),
    clusterArn: CLUSTER,
    instanceArn: instanceArn(on),
    taskDefinitionArn: TD2,
    group: GROUP,
    startedBy: 'd2',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    startedAt: '2026-01-01T00:00:00Z',
    createdAt: `2026-01-01T00:00:${String(n).padStart(2, '0').slice(-2)}Z`,
    version: 1,
    ...over,
  };
}

export function env(over: Partial<PlannerEnvironment> = {}): PlannerEnvironment {
  return {
    name: 'env',
    group: GROUP,
    clusterArn: CLUSTER,
    mode: 'rolling',
    revision: 2,
    taskDefinition: TD2,
    deploymentId: 'd2',
    maxUnavailable: 1,
    foreignTasks: 'ignore',
    ...over,
  };
}
