import { defineSettings } from '../core/config/index.js';
import { awsSettings } from '../aws/settings.js';
import { storeSettings } from '../store/settings.js';

/**
 * Settings of `blox up`: the whole system in one process. With no AWS configuration it starts
 * the local AWS emulator with a demo cluster; `--aws-endpoint` / AWS_ENDPOINT_URL points it at an
 * external emulator, and `--local-aws off` at real AWS through the SDK's standard chain.
 */
export const upSettings = defineSettings([
  {
    key: 'bind',
    flag: 'bind',
    env: 'BLOX_BIND',
    type: 'address',
    default: '127.0.0.1:2000',
    placeholder: '<host:port>',
    description: 'Listen address of the one API port serving the state service and the scheduler routes.',
  },
  {
    key: 'localAws',
    flag: 'local-aws',
    env: 'BLOX_LOCAL_AWS',
    type: 'enum',
    choices: ['auto', 'on', 'off'],
    default: 'auto',
    description:
      'Start the local AWS emulator: auto = unless an AWS endpoint is configured (--aws-endpoint or AWS_ENDPOINT_URL); off = use real AWS (credentials and region from the standard AWS chain).',
  },
  {
    key: 'localAwsPort',
    flag: 'local-aws-port',
    env: 'BLOX_LOCAL_AWS_PORT',
    type: 'int',
    min: 0,
    max: 65535,
    default: 4566,
    description: 'Port of the local AWS emulator (0 picks a free one).',
  },
  {
    key: 'queue',
    flag: 'queue',
    env: 'BLOX_QUEUE',
    type: 'string',
    default: 'blox_queue',
    placeholder: '<name>',
    description: 'SQS queue receiving the ECS events (name, sqs://name or URL).',
  },
  {
    key: 'demoCluster',
    flag: 'demo-cluster',
    env: 'BLOX_DEMO_CLUSTER',
    type: 'string',
    default: 'default',
    placeholder: '<name>',
    description: 'Name of the demo cluster the local emulator creates on first start.',
  },
  {
    key: 'demoInstances',
    flag: 'demo-instances',
    env: 'BLOX_DEMO_INSTANCES',
    type: 'int',
    min: 0,
    max: 10000,
    default: 3,
    description: 'Container instances of the demo cluster on first start.',
  },
  {
    key: 'reconcileInterval',
    flag: 'reconcile-interval',
    env: 'BLOX_RECONCILE_INTERVAL',
    type: 'duration',
    min: 1000,
    default: 300_000,
    description: 'Time between reconcile passes against the ECS API.',
  },
  {
    key: 'retention',
    flag: 'retention',
    env: 'BLOX_RETENTION',
    type: 'duration',
    default: 3_600_000,
    description: 'How long STOPPED tasks and INACTIVE instances are kept before they are removed.',
  },
  ...storeSettings,
  ...awsSettings,
] as const);
