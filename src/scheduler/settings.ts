import { defineSettings } from '../core/config/index.js';
import { awsSettings } from '../aws/settings.js';
import { storeSettings } from '../store/settings.js';

/**
 * Settings of `blox scheduler`. The first three are Blox v0.3's flags (`--bind`,
 * `--css-endpoint`, `--etcd-endpoint` repeatable); the rest are new, each with a `BLOX_*`
 * environment variable. AWS endpoint, region and credentials come from the AWS SDK's standard
 * chain (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, …; v0.3's ECS_ENDPOINT too) unless given here.
 */
export const schedulerSettings = defineSettings([
  {
    key: 'bind',
    flag: 'bind',
    env: 'BLOX_SCHEDULER_BIND',
    type: 'address',
    default: '0.0.0.0:2000',
    placeholder: '<host:port>',
    description: 'Listen address of the scheduler API (v0.3 used 2000).',
  },
  {
    key: 'cssEndpoint',
    flag: 'css-endpoint',
    env: 'BLOX_CSS_ENDPOINT',
    type: 'string',
    required: true,
    placeholder: '<host:port>',
    description: 'Cluster state service to read cluster state from: host:port or a URL.',
    validate: (v) =>
      typeof v === 'string' && v.trim() === ''
        ? 'give the state service address, e.g. localhost:3000'
        : undefined,
  },
  {
    key: 'identity',
    flag: 'identity',
    env: 'BLOX_SCHEDULER_IDENTITY',
    type: 'string',
    placeholder: '<name>',
    description: "This replica's name in the leader election (default host:pid).",
  },
  {
    key: 'leaderTtl',
    flag: 'leader-ttl',
    env: 'BLOX_SCHEDULER_LEADER_TTL',
    type: 'int',
    min: 1,
    max: 60,
    default: 5,
    placeholder: '<seconds>',
    description: 'Leader lease TTL in seconds: how long a dead leader keeps the role.',
  },
  {
    key: 'resync',
    flag: 'resync',
    env: 'BLOX_SCHEDULER_RESYNC',
    type: 'duration',
    default: '10s',
    description: 'Periodic full reconcile of every environment (events trigger reconciles in between).',
  },
  ...storeSettings,
  ...awsSettings,
] as const);
