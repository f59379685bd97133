/**
 * The daemon planner's full pass: E environments planned over one prepared cluster view of N
 * instances, converged (every environment already runs its task everywhere it targets). Pure CPU,
 * in this process.
 */
import { prepareCluster } from '../../src/scheduler/daemon/cluster-view.js';
import { compileFilter } from '../../src/scheduler/daemon/filter.js';
import { planPrepared, type PlannerEnvironment } from '../../src/scheduler/daemon/planner.js';
import type { InstanceView, TaskView } from '../../src/scheduler/framework/views.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

const CLUSTER = 'arn:aws:ecs:us-east-1:111122223333:cluster/bench';
const ENVIRONMENTS = 100;

function fixture(n: number) {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const instances: InstanceView[] = Array.from({ length: n }, (_, i) => ({
    arn: `arn:aws:ecs:us-east-1:111122223333:container-instance/bench/${i.toString(16).padStart(32, '0')}`,
    clusterArn: CLUSTER,
    status: i % 200 === 0 ? 'DRAINING' : 'ACTIVE',
    agentConnected: true,
    attributes: { 'ecs.availability-zone': zones[i % 3]!, stack: i % 2 ? 'prod' : 'dev' },
    runningTasksCount: ENVIRONMENTS,
    version: 1,
  }));
  const envs: PlannerEnvironment[] = Array.from({ length: ENVIRONMENTS }, (_, e) => ({
    name: `env-${e}`,
    group: `blox:env-${e}:${e.toString(16).padStart(8, '0')}`,
    clusterArn: CLUSTER,
    mode: 'steady',
    revision: 1,
    taskDefinition: `arn:aws:ecs:us-east-1:111122223333:task-definition/daemon-${e}:1`,
    deploymentId: `d-${e}`,
    ...(e % 10 === 1 ? { filter: compileFilter({ attributes: [{ name: 'stack', value: 'prod' }] }) } : {}),
    maxUnavailable: '10%',
    foreignTasks: 'ignore',
  }));
  const view0 = prepareCluster(CLUSTER, instances, []);
  const tasks: TaskView[] = [];
  for (const env of envs) {
    const eligible = view0.eligibility(env.filter ?? compileFilter(undefined));
    for (let i = 0; i < n; i++) {
      if (!eligible[i]) continue;
      tasks.push({
        arn: `arn:aws:ecs:us-east-1:111122223333:task/bench/${env.name}-${i}`,
        clusterArn: CLUSTER,
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
  // state arrives as parsed JSON (flat strings), not as template-literal cons strings
  const flat = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  return { instances: flat(instances), tasks: flat(tasks), envs };
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  for (const n of ctx.quick ? [1000] : [1000, 10_000]) {
    const { instances, tasks, envs } = fixture(n);
    const view = prepareCluster(CLUSTER, instances, tasks);
    const pass = () => {
      let actions = 0;
      for (const env of envs) actions += planPrepared(env, view, { now: Date.now() }).actions.length;
      return actions;
    };
    pass(); // warm-up
    const l0 = load()[0];
    const runs: number[] = [];
    const prep: number[] = [];
    for (let r = 0; r < Math.max(ctx.runs, 5); r++) {
      const t0 = performance.now();
      pass();
      runs.push(performance.now() - t0);
    }
    for (let r = 0; r < ctx.runs; r++) {
      const t0 = performance.now();
      prepareCluster(CLUSTER, instances, tasks);
      prep.push(performance.now() - t0);
    }
    const label = `${n.toLocaleString('en-US')} instances × ${ENVIRONMENTS} envs`;
    figures.add({
      name: 'full planning pass',
      backend: 'none',
      size: n,
      sizeLabel: label,
      unit: 'ms',
      better: 'lower',
      runs,
      loadStart: l0,
      note: `${tasks.length.toLocaleString('en-US')} tasks, converged; the cluster view is prepared once per cluster change.`,
    });
    figures.add({
      name: 'cluster view build',
      backend: 'none',
      size: n,
      sizeLabel: label,
      unit: 'ms',
      better: 'lower',
      runs: prep,
      loadStart: l0,
    });
    await new Promise((r) => setImmediate(r));
  }
}
