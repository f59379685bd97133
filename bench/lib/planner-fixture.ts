/**
 * The daemon planner's benchmark state: `instances` container instances and 100 environments on
 * one cluster, converged (every environment runs its task on every instance it targets, and on
 * the DRAINING ones, whose tasks stop last). A fifth of the environments target a subset: by
 * attribute, or by a cluster query.
 */
import { prepareCluster } from '../../src/scheduler/daemon/cluster-view.js';
import { compileFilter } from '../../src/scheduler/daemon/filter.js';
import type { PlannerEnvironment } from '../../src/scheduler/daemon/planner.js';
import type { InstanceView, TaskView } from '../../src/scheduler/framework/views.js';

export const PLANNER_CLUSTER = 'arn:aws:ecs:us-east-1:111122223333:cluster/bench';
export const PLANNER_ENVIRONMENTS = 100;

export interface PlannerFixture {
  instances: InstanceView[];
  tasks: TaskView[];
  envs: PlannerEnvironment[];
}

export function plannerFixture(n: number): PlannerFixture {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const instances: InstanceView[] = Array.from({ length: n }, (_, i) => ({
    arn: `arn:aws:ecs:us-east-1:111122223333:container-instance/bench/${i.toString(16).padStart(32, '0')}`,
    clusterArn: PLANNER_CLUSTER,
    status: i % 200 === 0 ? 'DRAINING' : 'ACTIVE',
    agentConnected: true,
    attributes: { 'ecs.availability-zone': zones[i % 3]!, stack: i % 2 ? 'prod' : 'dev' },
    runningTasksCount: PLANNER_ENVIRONMENTS,
    version: 1,
  }));
  const envs: PlannerEnvironment[] = Array.from({ length: PLANNER_ENVIRONMENTS }, (_, e) => ({
    name: `env-${e}`,
    group: `blox:env-${e}:${e.toString(16).padStart(8, '0')}`,
    clusterArn: PLANNER_CLUSTER,
    mode: 'steady',
    revision: 1,
    taskDefinition: `arn:aws:ecs:us-east-1:111122223333:task-definition/daemon-${e}:1`,
    deploymentId: `d-${e}`,
    ...(e % 10 === 1 ? { filter: compileFilter({ attributes: [{ name: 'stack', value: 'prod' }] }) } : {}),
    ...(e % 10 === 2
      ? { filter: compileFilter({ query: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]' }) }
      : {}),
    maxUnavailable: '10%',
    foreignTasks: 'ignore',
  }));
  const view = prepareCluster(PLANNER_CLUSTER, instances, []);
  const tasks: TaskView[] = [];
  for (const env of envs) {
    const eligible = view.eligibility(env.filter ?? compileFilter(undefined));
    for (let i = 0; i < n; i++) {
      if (!eligible[i] && instances[i]!.status !== 'DRAINING') continue;
      tasks.push({
        arn: `arn:aws:ecs:us-east-1:111122223333:task/bench/${env.name}-${i}`,
        clusterArn: PLANNER_CLUSTER,
        instanceArn: instances[i]!.arn,
        taskDefinitionArn: env.taskDefinition!,
        group: env.group,
        startedBy: env.deploymentId!,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        version: 2,
      });
    }
  }
  // Real cluster state arrives as parsed JSON (flat strings); template-literal strings are V8 cons
  // strings that get re-flattened on every comparison, which would measure the fixture, not the planner.
  const flat = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  for (const env of envs) {
    env.group = flat(env.group);
    env.taskDefinition = flat(env.taskDefinition);
  }
  // One task at a time: the whole list as one JSON text would near V8's longest string.
  return { instances: flat(instances), tasks: tasks.map(flat), envs };
}
