import type { TaskContainer, TaskRecord } from './types.js';

/**
 * The API JSON of a task written straight to text: byte for byte what
 * `JSON.stringify(taskShape(task, 'api'))` gives (same keys, order and omissions — a test holds
 * the two together), without building the shape objects first. DescribeTasks answers 100 of
 * these per call, and building then stringifying the shapes was most of its cost and garbage.
 * Every value still goes through JSON.stringify, so escaping is exactly JSON's.
 */

const J = JSON.stringify;

/** `"key":value` for a defined value, with the leading comma; '' for undefined (as compact() drops it). */
export function opt(key: string, value: unknown): string {
  return value === undefined ? '' : `,"${key}":${J(value)}`;
}

/** An epoch-ms time as awsJson epoch seconds; '' when undefined (as shapes.ts time() does). */
function optTime(key: string, ms: number | undefined): string {
  return ms === undefined ? '' : `,"${key}":${J(ms / 1000)}`;
}

/**
 * One container as JSON text, in the API form (DescribeTasks and the task APIs) or the event form
 * (task state-change events, which carry no healthStatus).
 */
export function containerJson(
  task: TaskRecord,
  c: TaskContainer,
  prefix: string,
  form: 'api' | 'event' = 'api',
): string {
  return (
    `{"containerArn":${J(`${prefix}:container/${task.cluster}/${task.id}/${c.id}`)}` +
    opt('exitCode', c.exitCode) +
    opt('lastStatus', c.lastStatus) +
    opt('name', c.name) +
    opt('image', c.image) +
    opt('imageDigest', c.imageDigest) +
    opt('runtimeId', c.runtimeId) +
    opt('reason', c.reason) +
    opt('taskArn', task.arn) +
    (c.runtimeId === undefined
      ? ''
      : `,"networkBindings":${J(c.bindings.map((b) => ({ bindIP: '0.0.0.0', ...b })))}`) +
    (form === 'api' ? ',"networkInterfaces":[],"healthStatus":"UNKNOWN"' : ',"networkInterfaces":[]') +
    `,"cpu":${J(String(c.cpu))}` +
    opt('memory', c.memory === undefined ? undefined : String(c.memory)) +
    opt('memoryReservation', c.memoryReservation === undefined ? undefined : String(c.memoryReservation)) +
    '}'
  );
}

/**
 * The task as DescribeTasks, RunTask, StartTask and StopTask return it. `withTags: false` gives
 * `"tags":[]` in place of the task's tags (DescribeTasks without include=TAGS).
 */
export function taskApiJson(task: TaskRecord, withTags = true): string {
  const prefix = task.arn.slice(0, task.arn.indexOf(':task/'));
  let containers = '';
  for (let i = 0; i < task.containers.length; i++)
    containers += (i === 0 ? '' : ',') + containerJson(task, task.containers[i]!, prefix);
  const overrides = task.overrides;
  let hasOverrides = false;
  for (const key in overrides)
    if (Object.hasOwn(overrides, key)) {
      hasOverrides = true;
      break;
    }
  return (
    '{"attachments":[],"attributes":' +
    (task.cpuArchitecture ? `[{"name":"ecs.cpu-architecture","value":${J(task.cpuArchitecture)}}]` : '[]') +
    opt('availabilityZone', task.availabilityZone) +
    opt('clusterArn', task.clusterArn) +
    ',"connectivity":"CONNECTED"' +
    optTime('connectivityAt', task.createdAt) +
    opt('containerInstanceArn', task.instanceArn) +
    `,"containers":[${containers}]` +
    `,"cpu":${J(String(task.cpu))}` +
    optTime('createdAt', task.createdAt) +
    opt('desiredStatus', task.desiredStatus) +
    ',"enableExecuteCommand":false' +
    optTime('executionStoppedAt', task.executionStoppedAt) +
    opt('group', task.group) +
    ',"healthStatus":"UNKNOWN"' +
    opt('lastStatus', task.lastStatus) +
    ',"launchType":"EC2"' +
    `,"memory":${J(String(task.memory))}` +
    // the spread keeps an own inferenceAcceleratorOverrides key where the task has it
    `,"overrides":${hasOverrides ? J({ ...overrides, inferenceAcceleratorOverrides: [] }) : '{"inferenceAcceleratorOverrides":[]}'}` +
    optTime('pullStartedAt', task.pullStartedAt) +
    optTime('pullStoppedAt', task.pullStoppedAt) +
    optTime('startedAt', task.startedAt) +
    opt('startedBy', task.startedBy) +
    opt('stopCode', task.stopCode) +
    optTime('stoppedAt', task.stoppedAt) +
    opt('stoppedReason', task.stoppedReason) +
    optTime('stoppingAt', task.stoppingAt) +
    `,"tags":${withTags ? J(task.tags) : '[]'}` +
    opt('taskArn', task.arn) +
    opt('taskDefinitionArn', task.taskDefinitionArn) +
    opt('version', task.version) +
    '}'
  );
}
