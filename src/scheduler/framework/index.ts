/**
 * The Blox scheduler framework: the parts every ECS scheduler needs. Build your own scheduler
 * from these (see docs/custom-scheduler.md and examples/):
 *
 * - ClusterStateSource + ClusterInformer: a cache of instances and tasks that follows changes;
 * - WorkQueue: deduped keys, per-key retry backoff, delayed requeue (level-triggered reconcile);
 * - Leadership: one acting replica through the store's election, with a fence for its writes;
 * - EcsActuator + IntentLog: batched, paced, throttling-aware ECS calls with launch intents.
 */
export * from './source.js';
export { MemoryClusterState, arnOf } from './memory-source.js';
export { ClusterInformer, type InformerEvent, type InformerOptions } from './informer.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export { Leadership, type LeaderTerm, type LeadershipOptions } from './leader.js';
export { IntentLog, CorruptLaunchIntentError, type LaunchIntent, type IntentLogOptions } from './intents.js';
export {
  EcsActuator,
  START_TASK_BATCH,
  RUN_TASK_BATCH,
  type ActuatorOptions,
  type StartTasksRequest,
  type StartResult,
  type LaunchOptions,
} from './actuator.js';
export { isLiveTask, instanceViewOf, taskViewOf, type InstanceView, type TaskView } from './views.js';
export { Controller, type ControllerOptions } from './controller.js';
export { remoteStateSource, stateEndpointUrl } from './remote-source.js';
