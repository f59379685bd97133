import { resourceId } from '../../core/arn.js';
import { resourceValue, type StoredInstance, type StoredTask } from '../../core/ecs/entities.js';
import type { EntityChange, VersionedEntity } from '../../sdk/index.js';
import { statusColor, type Column } from './output.js';

/** What `-o json|yaml` prints per entity: its entityVersion, then Blox's stored form. */
export function entityRecord(v: VersionedEntity): Record<string, unknown> {
  return { entityVersion: String(v.revision), ...v.entity };
}

/** One stream change as `-o json` (one line each) or `-o yaml` (one document each) prints it. */
export function changeRecord(c: EntityChange): Record<string, unknown> {
  return { type: c.type, entityVersion: String(c.revision), ...c.entity };
}

/** "blox-demo-daemon:3" from a task definition ARN. */
export function taskDefinitionName(arn: string): string {
  return arn.includes('task-definition/') ? arn.slice(arn.indexOf('task-definition/') + 16) : arn;
}

/** Age of an ISO time relative to now, as kubectl prints it: 45s, 12m, 3h, 2d. */
export function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function taskColumns(now: number): Array<Column<VersionedEntity<StoredTask>>> {
  return [
    { header: 'TASK', value: (t) => resourceId(t.entity.detail.taskArn) },
    { header: 'CLUSTER', value: (t) => t.entity.cluster, flexible: true },
    {
      header: 'TASK DEFINITION',
      value: (t) => taskDefinitionName(t.entity.detail.taskDefinitionArn),
      flexible: true,
    },
    { header: 'STATUS', value: (t) => t.entity.detail.lastStatus, color: statusColor },
    { header: 'DESIRED', value: (t) => t.entity.detail.desiredStatus, color: statusColor, dropOrder: 4 },
    {
      header: 'INSTANCE',
      value: (t) =>
        t.entity.detail.containerInstanceArn ? resourceId(t.entity.detail.containerInstanceArn) : '-',
      flexible: true,
    },
    { header: 'STARTED BY', value: (t) => t.entity.detail.startedBy ?? '-', flexible: true, dropOrder: 2 },
    {
      header: 'AGE',
      value: (t) => age(t.entity.detail.startedAt ?? t.entity.detail.createdAt, now),
      dropOrder: 3,
    },
    { header: 'VERSION', value: (t) => String(t.revision), dropOrder: 1 },
  ];
}

function resource(i: StoredInstance, name: string): string {
  const free = resourceValue(i.detail.remainingResources, name);
  const total = resourceValue(i.detail.registeredResources, name);
  if (typeof free !== 'number' || typeof total !== 'number') return '-';
  return `${free}/${total}`;
}

function attribute(i: StoredInstance, name: string): string | undefined {
  return i.detail.attributes?.find((a) => a.name === name)?.value;
}

export function instanceColumns(now: number): Array<Column<VersionedEntity<StoredInstance>>> {
  return [
    { header: 'INSTANCE', value: (i) => resourceId(i.entity.detail.containerInstanceArn) },
    { header: 'CLUSTER', value: (i) => i.entity.cluster, flexible: true },
    { header: 'STATUS', value: (i) => i.entity.detail.status, color: statusColor },
    {
      header: 'AGENT',
      value: (i) => (i.entity.detail.agentConnected ? 'connected' : 'disconnected'),
      color: (v) => (v === 'connected' ? undefined : 'red'),
    },
    { header: 'EC2 INSTANCE', value: (i) => i.entity.detail.ec2InstanceId ?? '-', dropOrder: 4 },
    { header: 'TYPE', value: (i) => attribute(i.entity, 'ecs.instance-type') ?? '-' },
    { header: 'ZONE', value: (i) => attribute(i.entity, 'ecs.availability-zone') ?? '-', dropOrder: 3 },
    { header: 'CPU FREE', value: (i) => resource(i.entity, 'CPU'), dropOrder: 6 },
    { header: 'MEM FREE', value: (i) => resource(i.entity, 'MEMORY'), dropOrder: 5 },
    { header: 'TASKS', value: (i) => String(i.entity.detail.runningTasksCount ?? '-') },
    { header: 'AGE', value: (i) => age(i.entity.detail.registeredAt, now), dropOrder: 2 },
    { header: 'VERSION', value: (i) => String(i.revision), dropOrder: 1 },
  ];
}
