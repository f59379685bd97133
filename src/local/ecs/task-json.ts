import { isoTime } from './iso-time.js';
import type { TaskContainer, TaskRecord } from './types.js';

/**
 * A task's JSON written straight to text, in the API form (byte for byte
 * `JSON.stringify(taskShape(task, 'api'))`) and the event form (`taskShape(task, 'event')`): same
 * keys, order and omissions — tests hold them together — without building the shape objects
 * first. DescribeTasks answers 100 of these per call and every task change writes an event, and
 * building then stringifying the shapes was most of their cost and garbage.
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

/** `,"key":"<ISO time>"` for a defined time (the event form); '' for undefined. */
export function optIso(key: string, ms: number | undefined): string {
  return ms === undefined ? '' : `,"${key}":"${isoTime(ms)}"`;
}

/**
 * One container as JSON text, in the API form (DescribeTasks and the task APIs) or the event form
 * (task state-change events, which carry no healthStatus).
 */
function containerJson(task: TaskRecord, c: TaskContainer, prefix: string, form: 'api' | 'event'): string {
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
  return taskJson(task, 'api', withTags);
}

/** The `detail` of a task's state-change event as JSON text. */
export function taskEventJson(task: TaskRecord): string {
  return taskJson(task, 'event', false);
}

/**
 * One writer for both forms, as taskShape(task, mode) has: the API form carries epoch-second times,
 * healthStatus, overrides with inferenceAcceleratorOverrides and tags; the event form ISO times,
 * the overrides as they are, and updatedAt.
 */
function taskJson(task: TaskRecord, form: 'api' | 'event', withTags: boolean): string {
  const api = form === 'api';
  const time = api ? optTime : optIso;
  const prefix = task.arn.slice(0, task.arn.indexOf(':task/'));
  let containers = '';
  for (let i = 0; i < task.containers.length; i++)
    containers += (i === 0 ? '' : ',') + containerJson(task, task.containers[i]!, prefix, form);
  return (
    '{"attachments":[],"attributes":' +
    (task.cpuArchitecture ? `[{"name":"ecs.cpu-architecture","value":${J(task.cpuArchitecture)}}]` : '[]') +
    opt('availabilityZone', task.availabilityZone) +
    opt('clusterArn', task.clusterArn) +
    ',"connectivity":"CONNECTED"' +
    time('connectivityAt', task.createdAt) +
    opt('containerInstanceArn', task.instanceArn) +
    `,"containers":[${containers}]` +
    `,"cpu":${J(String(task.cpu))}` +
    time('createdAt', task.createdAt) +
    opt('desiredStatus', task.desiredStatus) +
    ',"enableExecuteCommand":false' +
    time('executionStoppedAt', task.executionStoppedAt) +
    opt('group', task.group) +
    (api ? ',"healthStatus":"UNKNOWN"' : '') +
    opt('lastStatus', task.lastStatus) +
    ',"launchType":"EC2"' +
    `,"memory":${J(String(task.memory))}` +
    (api ? apiOverrides(task.overrides) : opt('overrides', task.overrides)) +
    time('pullStartedAt', task.pullStartedAt) +
    time('pullStoppedAt', task.pullStoppedAt) +
    time('startedAt', task.startedAt) +
    opt('startedBy', task.startedBy) +
    opt('stopCode', task.stopCode) +
    time('stoppedAt', task.stoppedAt) +
    opt('stoppedReason', task.stoppedReason) +
    time('stoppingAt', task.stoppingAt) +
    (api ? `,"tags":${withTags ? J(task.tags) : '[]'}` : '') +
    opt('taskArn', task.arn) +
    opt('taskDefinitionArn', task.taskDefinitionArn) +
    (api ? '' : optIso('updatedAt', task.updatedAt)) +
    opt('version', task.version) +
    '}'
  );
}

/** The API's overrides: the task's, with inferenceAcceleratorOverrides always present. */
function apiOverrides(overrides: TaskRecord['overrides']): string {
  for (const key in overrides)
    // the spread keeps an own inferenceAcceleratorOverrides key where the task has it
    if (Object.hasOwn(overrides, key))
      return `,"overrides":${J({ ...overrides, inferenceAcceleratorOverrides: [] })}`;
  return ',"overrides":{"inferenceAcceleratorOverrides":[]}';
}
