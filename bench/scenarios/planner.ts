/**
 * The daemon planner's full pass: 100 environments planned over one prepared cluster view of N
 * instances (bench/lib/planner-fixture.ts), converged (every environment already runs its task
 * everywhere it targets) and empty (every start planned: a fleet joining). Pure CPU, in this process.
 */
import { prepareCluster } from '../../src/scheduler/daemon/cluster-view.js';
import { planPrepared } from '../../src/scheduler/daemon/planner.js';
import type { Figures } from '../lib/figure.js';
import {
  PLANNER_CLUSTER as CLUSTER,
  PLANNER_ENVIRONMENTS as ENVIRONMENTS,
  plannerFixture,
} from '../lib/planner-fixture.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  for (const n of ctx.quick ? [1000] : [1000, 10_000]) {
    const { instances, tasks, envs } = plannerFixture(n);
    const view = prepareCluster(CLUSTER, instances, tasks);
    const empty = prepareCluster(CLUSTER, instances, []);
    const pass = (over = view) => {
      let actions = 0;
      for (const env of envs) actions += planPrepared(env, over, { now: Date.now() }).actions.length;
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
    // After the converged passes: an empty pass allocates a start per instance and environment,
    // whose collection would otherwise land in the next converged measurement.
    const fresh: number[] = [];
    pass(empty);
    for (let r = 0; r < Math.max(ctx.runs, 5); r++) {
      const t0 = performance.now();
      pass(empty);
      fresh.push(performance.now() - t0);
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
      name: 'full planning pass, empty cluster state (every start planned)',
      backend: 'none',
      size: n,
      sizeLabel: label,
      unit: 'ms',
      better: 'lower',
      runs: fresh,
      loadStart: l0,
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
