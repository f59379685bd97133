import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The ECS sample vectors (copied from the shared reference set, see vectors/README in
 * docs/state-ingest.md): envelopes as SQS message bodies and Describe* responses.
 */
const dir = join(import.meta.dirname, 'vectors');

export function readVector<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(join(dir, path), 'utf8')) as T;
}

export function vectorBody(path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

export const TASK_EVENTS = ['task-pending', 'task-running', 'task-stopping', 'task-stopped'].map(
  (n) => `events/${n}.json`,
);
export const INSTANCE_EVENTS = [
  'instance-registered',
  'instance-task-placed',
  'instance-draining',
  'instance-deregistered',
].map((n) => `events/${n}.json`);
export const ENTITY_EVENTS = [...TASK_EVENTS, ...INSTANCE_EVENTS];

/** The two envelopes of other-types.json, each as its own message body. */
export function otherTypeBodies(): string[] {
  return readVector<unknown[]>('events/other-types.json').map((e) => JSON.stringify(e));
}

export const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/3f9a1c7e5b2d4e8fa6c0b4d2e8f1a3c5';
export const CI1_ARN =
  'arn:aws:ecs:us-east-1:123456789012:container-instance/default/5b2e6f0c8a3d4e719c4b2a1f0e9d8c7b';
export const TASK_KEY = 'ecs/task/123456789012/us-east-1/default/3f9a1c7e5b2d4e8fa6c0b4d2e8f1a3c5';
export const CI1_KEY = 'ecs/instance/123456789012/us-east-1/default/5b2e6f0c8a3d4e719c4b2a1f0e9d8c7b';
