import { clusterName } from '../../core/arn.js';
import { ensureCluster } from './clusters.js';
import { addInstance, deregister, setAgentConnected, type InstanceSpec } from './container-instances.js';
import type { EcsContext } from './context.js';
import { DEFAULT_AGENT_VERSION_INFO, DEFAULT_CAPABILITIES, INSTANCE_TYPES } from './instance-types.js';
import { requestStop } from './lifecycle.js';
import type { InstanceRecord, TaskRecord } from './types.js';

/**
 * The fleet simulation: what EC2, Auto Scaling and the ECS agent would do to a cluster, driven
 * by tests, demos and the admin API. Plain errors (FleetError) for bad arguments; the admin layer
 * maps them to HTTP 400.
 */

export class FleetError extends Error {
  override readonly name = 'FleetError';
}

export interface FleetInstanceSpec {
  /** EC2 instance type (see INSTANCE_TYPES); default m5.large. */
  instanceType?: string;
  /** AZs to spread new instances over, round-robin; default <region>a, b, c. */
  availabilityZones?: string[];
  /** Custom attributes for new instances (no value = capability-style attribute). */
  attributes?: Record<string, string | null | undefined>;
  agentVersion?: string;
}

export interface CrashSelector {
  cluster?: string;
  taskArns?: string[];
  containerInstance?: string;
  family?: string;
  group?: string;
  /** At most this many tasks (default: all selected). */
  count?: number;
  /** 137 (killed, the default) or 1 (application error); any 0-255 is accepted. */
  exitCode?: number;
}

export interface FleetInstanceSummary {
  containerInstanceArn: string;
  ec2InstanceId: string;
  instanceType: string | undefined;
  availabilityZone: string | undefined;
  status: string;
  agentConnected: boolean;
  runningTasksCount: number;
  pendingTasksCount: number;
}

export interface Fleet {
  scale(cluster: string, count: number, spec?: FleetInstanceSpec): { added: string[]; removed: string[] };
  removeInstances(cluster: string, arnsOrCount: string[] | number): string[];
  killInstance(containerInstanceArn: string): void;
  setAgentConnected(containerInstanceArn: string, connected: boolean): void;
  crashTasks(selector: CrashSelector): string[];
  instances(cluster: string): FleetInstanceSummary[];
}

export function createFleet(ctx: EcsContext): Fleet {
  const nameOf = (cluster: string): string => {
    const name = clusterName(cluster);
    if (!name) throw new FleetError(`invalid cluster name or ARN '${cluster}'`);
    return name;
  };
  const liveInstances = (cluster: string): InstanceRecord[] => {
    const index = ctx.state.instancesOf(cluster);
    if (!index) return [];
    return [...index.values(ctx.state.isInstanceLive)].filter((i) => i.status !== 'INACTIVE');
  };
  const instanceByArn = (arn: string): InstanceRecord => {
    const inst = ctx.state.instances.get(arn) ?? ctx.state.instancesById.get(arn);
    if (!inst) throw new FleetError(`no container instance ${arn}`);
    return inst;
  };
  const terminate = (inst: InstanceRecord): void => {
    deregister(ctx, inst, {
      reason: `Host EC2 (instance ${inst.ec2InstanceId}) terminated.`,
      stopCode: 'TerminationNotice',
    });
  };

  const fleet: Fleet = {
    scale(cluster, count, spec = {}) {
      if (!Number.isInteger(count) || count < 0 || count > 100_000)
        throw new FleetError('count must be a whole number from 0 to 100000');
      const name = nameOf(cluster);
      const instanceType = spec.instanceType ?? 'm5.large';
      if (!INSTANCE_TYPES[instanceType])
        throw new FleetError(
          `unknown instance type '${instanceType}'; known: ${Object.keys(INSTANCE_TYPES).join(', ')}`,
        );
      const zones = spec.availabilityZones?.length
        ? spec.availabilityZones
        : ['a', 'b', 'c'].map((s) => `${ctx.scope.region}${s}`);
      const record = ensureCluster(ctx, name);
      const current = liveInstances(name);
      const added: string[] = [];
      const removed: string[] = [];
      for (let i = current.length; i < count; i++) {
        const attributes: InstanceSpec['attributes'] = DEFAULT_CAPABILITIES.map((n) => ({ name: n }));
        for (const [k, v] of Object.entries(spec.attributes ?? {}))
          attributes.push(v === undefined || v === null ? { name: k } : { name: k, value: v });
        const inst = addInstance(ctx, record, {
          instanceType,
          availabilityZone: zones[i % zones.length]!,
          attributes,
          versionInfo: {
            ...DEFAULT_AGENT_VERSION_INFO,
            ...(spec.agentVersion ? { agentVersion: spec.agentVersion } : {}),
          },
        });
        added.push(inst.arn);
      }
      if (count < current.length) removed.push(...fleet.removeInstances(name, current.length - count));
      return { added, removed };
    },

    removeInstances(cluster, arnsOrCount) {
      const name = nameOf(cluster);
      let victims: InstanceRecord[];
      if (typeof arnsOrCount === 'number') {
        if (!Number.isInteger(arnsOrCount) || arnsOrCount < 0)
          throw new FleetError('count must be a whole number >= 0');
        const live = liveInstances(name);
        // Newest first, as an Auto Scaling group's default scale-in picks them here.
        victims = arnsOrCount === 0 ? [] : live.slice(Math.max(0, live.length - arnsOrCount)).reverse();
      } else {
        victims = arnsOrCount.map(instanceByArn);
        for (const v of victims)
          if (v.cluster !== name) throw new FleetError(`${v.arn} is not in cluster ${name}`);
      }
      for (const inst of victims) terminate(inst);
      return victims.map((v) => v.arn);
    },

    killInstance(arn) {
      const inst = instanceByArn(arn);
      if (inst.status === 'INACTIVE') return;
      setAgentConnected(ctx, inst, false);
      terminate(inst);
    },

    setAgentConnected(arn, connected) {
      const inst = instanceByArn(arn);
      if (inst.status === 'INACTIVE') throw new FleetError(`${inst.arn} is deregistered`);
      setAgentConnected(ctx, inst, connected);
    },

    crashTasks(selector) {
      const exitCode = selector.exitCode ?? 137;
      if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
        throw new FleetError('exitCode must be 0-255');
      let tasks: TaskRecord[];
      if (selector.taskArns) {
        tasks = selector.taskArns.map((ref) => {
          const t = ctx.state.tasks.get(ref) ?? ctx.state.tasksById.get(ref);
          if (!t) throw new FleetError(`no task ${ref}`);
          return t;
        });
      } else if (selector.containerInstance) {
        tasks = [...instanceByArn(selector.containerInstance).tasks];
      } else {
        const name = nameOf(selector.cluster ?? 'default');
        const index = ctx.state.taskIndex(
          name,
          'RUNNING',
          selector.family ? { family: selector.family } : undefined,
        );
        tasks = index ? [...index.values(ctx.state.liveFor('RUNNING'))] : [];
      }
      tasks = tasks.filter(
        (t) =>
          t.desiredStatus === 'RUNNING' &&
          (selector.family === undefined || t.family === selector.family) &&
          (selector.group === undefined || t.group === selector.group),
      );
      if (selector.count !== undefined) tasks = tasks.slice(0, Math.max(0, selector.count));
      for (const task of tasks)
        requestStop(ctx, task, {
          reason: 'Essential container in task exited',
          stopCode: 'EssentialContainerExited',
          exitCode,
        });
      return tasks.map((t) => t.arn);
    },

    instances(cluster) {
      return liveInstances(nameOf(cluster)).map((i) => ({
        containerInstanceArn: i.arn,
        ec2InstanceId: i.ec2InstanceId,
        instanceType: i.attributes.get('ecs.instance-type'),
        availabilityZone: i.attributes.get('ecs.availability-zone'),
        status: i.status,
        agentConnected: i.agentConnected,
        runningTasksCount: i.runningTasksCount,
        pendingTasksCount: i.pendingTasksCount,
      }));
    },
  };
  return fleet;
}
