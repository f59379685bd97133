import { age, taskDefinitionName } from './entity-views.js';
import { statusColor, type Column } from './output.js';
import type { DeploymentView, EnvironmentView } from './scheduler-client.js';

const count = (e: EnvironmentView, k: 'desired' | 'updated' | 'available' | 'failed') =>
  e.status ? String(e.status[k]) : '-';
const clusterOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

export function environmentColumns(): Array<Column<EnvironmentView>> {
  return [
    { header: 'NAME', value: (e) => e.name },
    { header: 'CLUSTER', value: (e) => clusterOf(e.instanceGroup.cluster), flexible: true },
    { header: 'TASK DEFINITION', value: (e) => taskDefinitionName(e.taskDefinition), flexible: true },
    { header: 'REVISION', value: (e) => String(e.revision) },
    {
      header: 'ACTIVE',
      dropOrder: 1,
      value: (e) => (e.activeRevision === undefined ? '-' : String(e.activeRevision)),
    },
    {
      header: 'HEALTH',
      dropOrder: 3,
      value: (e) => e.health,
      color: (v) => (v === 'healthy' ? 'green' : 'red'),
    },
    { header: 'DESIRED', value: (e) => count(e, 'desired') },
    { header: 'UPDATED', value: (e) => count(e, 'updated') },
    { header: 'AVAILABLE', dropOrder: 2, value: (e) => count(e, 'available') },
    {
      header: 'FAILED',
      value: (e) => count(e, 'failed'),
      color: (v) => (v !== '0' && v !== '-' ? 'red' : undefined),
    },
  ];
}

export function deploymentColumns(now: number): Array<Column<DeploymentView>> {
  return [
    { header: 'ID', value: (d) => d.id },
    { header: 'REVISION', value: (d) => String(d.revision) },
    { header: 'STATE', value: (d) => d.state, color: statusColor },
    { header: 'TASK DEFINITION', value: (d) => taskDefinitionName(d.taskDefinition), flexible: true },
    { header: 'UPDATED', value: (d) => (d.counts ? `${d.counts.updated}/${d.counts.desired}` : '-') },
    { header: 'FAILURES', value: (d) => String(d.failures?.length ?? d.failedInstances.length) },
    { header: 'CREATED', dropOrder: 1, value: (d) => age(d.createdAt, now) },
    {
      header: 'NOTE',
      dropOrder: 2,
      value: (d) =>
        d.rollbackOf
          ? `rollback of ${d.rollbackOf}`
          : d.rolledBackBy
            ? `rolled back by ${d.rolledBackBy}`
            : (d.reason ?? ''),
      flexible: true,
    },
  ];
}

/** `blox env get` as aligned `key  value` lines. Pure. */
export function environmentDetails(e: EnvironmentView): string {
  const rows: Array<[string, string]> = [
    ['name', e.name],
    ['cluster', e.instanceGroup.cluster],
    ['task definition', e.taskDefinition],
    [
      'revision',
      `${e.revision}${e.activeRevision !== undefined ? ` (active: ${e.activeRevision})` : ' (never deployed)'}`,
    ],
    ['health', e.health],
  ];
  if (e.instanceGroup.attributes?.length)
    rows.push([
      'attributes',
      e.instanceGroup.attributes
        .map((a) => (a.value === undefined ? a.name : `${a.name}=${a.value}`))
        .join(', '),
    ]);
  if (e.instanceGroup.query) rows.push(['query', e.instanceGroup.query]);
  if (e.deploymentConfiguration) {
    const c = e.deploymentConfiguration;
    rows.push([
      'rollout',
      `maxUnavailable ${c.maxUnavailable}, failureThreshold ${c.failureThreshold}, autoRollback ${c.autoRollback}`,
    ]);
  }
  if (e.foreignTasks) rows.push(['foreign tasks', e.foreignTasks]);
  if (e.status) {
    const s = e.status;
    rows.push([
      'status',
      `${s.updated}/${s.desired} updated, ${s.available} available, ${s.failed} failed, ${s.misscheduled} misscheduled`,
    ]);
  }
  if (e.currentDeployment) rows.push(['deployment', `${e.currentDeployment} (in progress)`]);
  else if (e.lastDeployment) rows.push(['last deployment', e.lastDeployment]);
  rows.push(['deployment token', e.deploymentToken]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
