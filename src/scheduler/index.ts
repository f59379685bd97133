/**
 * Blox schedulers: the framework every scheduler is built from, and the daemon scheduler.
 * `import { … } from 'blox/scheduler'` (see docs/custom-scheduler.md).
 */
export * from './framework/index.js';
export { startScheduler, type SchedulerOptions, type RunningScheduler } from './daemon/scheduler.js';
export {
  plan,
  planPrepared,
  formatPlan,
  type Action,
  type Plan,
  type PlannerEnvironment,
  type PlanContext,
} from './daemon/planner.js';
export { prepareCluster, type ClusterView } from './daemon/cluster-view.js';
export * from './daemon/model.js';
