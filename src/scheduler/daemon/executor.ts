import type { Tag } from '@aws-sdk/client-ecs';
import type { EcsActuator } from '../framework/actuator.js';
import type { IntentLog } from '../framework/intents.js';
import type { Compare } from '../../store/types.js';
import { stopReasonText, type Action } from './planner.js';

export interface ExecutionResult {
  started: Array<{ instance: string; taskArn: string }>;
  failures: Array<{ instance: string; reason: string }>;
  stopped: string[];
  stopFailures: Array<{ task: string; reason: string }>;
}

/**
 * Carries out a plan's actions through the actuator: starts grouped by task definition and
 * deployment (StartTask takes one of each per call) with launch intents recorded first; stops
 * with the scheduler's reason so they are never mistaken for failures. All the I/O of a
 * reconcile pass is here.
 */
export async function execute(
  actions: readonly Action[],
  target: { cluster: string; group: string; scope: string; environment: string },
  io: { actuator: EcsActuator; intents: IntentLog; fence?: Compare },
): Promise<ExecutionResult> {
  const result: ExecutionResult = { started: [], failures: [], stopped: [], stopFailures: [] };
  const starts = new Map<
    string,
    { taskDefinition: string; deploymentId: string; revision: number; instances: string[] }
  >();
  const stops = new Map<string, string[]>();
  for (const a of actions) {
    if (a.type === 'start') {
      const k = `${a.taskDefinition}\n${a.deploymentId}`;
      const g = starts.get(k) ?? {
        taskDefinition: a.taskDefinition,
        deploymentId: a.deploymentId,
        revision: a.revision,
        instances: [],
      };
      g.instances.push(a.instance);
      starts.set(k, g);
    } else {
      const reason = stopReasonText(a.reason);
      stops.set(reason, [...(stops.get(reason) ?? []), a.task]);
    }
  }
  await Promise.all([
    ...[...starts.values()].map(async (g) => {
      const tags: Tag[] = [
        { key: 'blox:environment', value: target.environment },
        { key: 'blox:deployment', value: g.deploymentId },
        { key: 'blox:revision', value: String(g.revision) },
      ];
      const r = await io.actuator.launch(
        {
          cluster: target.cluster,
          taskDefinition: g.taskDefinition,
          instances: g.instances,
          startedBy: g.deploymentId,
          group: target.group,
          tags,
        },
        { scope: target.scope, intents: io.intents, ...(io.fence ? { fence: io.fence } : {}) },
      );
      result.started.push(...r.started);
      result.failures.push(...r.failures);
    }),
    ...[...stops.entries()].map(async ([reason, tasks]) => {
      const r = await io.actuator.stopTasks({ cluster: target.cluster, tasks, reason });
      result.stopped.push(...r.stopped);
      result.stopFailures.push(...r.failures);
    }),
  ]);
  return result;
}
