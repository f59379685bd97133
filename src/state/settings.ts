import { defineSettings } from '../core/config/index.js';
import { awsSettings } from '../aws/settings.js';
import { storeSettings } from '../store/settings.js';

/**
 * Settings of `blox state-service`. The first three are Blox v0.3's flags (`--bind`,
 * `--etcd-endpoint` repeatable, `--queue` as `name` or `sqs://name`); the rest are new, each
 * with a `BLOX_*` environment variable. AWS endpoint, region and credentials come from the AWS
 * SDK's standard chain (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, …) unless given here.
 */
export const stateServiceSettings = defineSettings([
  {
    key: 'bind',
    flag: 'bind',
    env: 'BLOX_BIND',
    type: 'address',
    default: '0.0.0.0:3000',
    placeholder: '<host:port>',
    description: 'Listen address of the HTTP API.',
  },
  {
    key: 'queue',
    flag: 'queue',
    env: 'BLOX_QUEUE',
    type: 'string',
    placeholder: '<name>',
    description:
      'SQS queue receiving the ECS events: a name, sqs://<name> (as in v0.3) or a queue URL. Without it no events are ingested (reconcile still runs).',
    validate: (v) =>
      typeof v === 'string' && v.startsWith('kinesis://')
        ? 'Kinesis streams are not supported (v0.3 read only shard 0 of them); route the ECS events to an SQS queue and give its name'
        : typeof v === 'string' && v.trim().replace(/^sqs:\/\//, '') === ''
          ? 'give the queue name, e.g. blox_queue or sqs://blox_queue'
          : undefined,
  },
  {
    key: 'ingestPollers',
    flag: 'ingest-pollers',
    env: 'BLOX_INGEST_POLLERS',
    type: 'int',
    min: 1,
    max: 64,
    default: 4,
    description: 'Concurrent SQS long-pollers.',
  },
  {
    key: 'deadLetterQueue',
    flag: 'dead-letter-queue',
    env: 'BLOX_DEAD_LETTER_QUEUE',
    type: 'string',
    placeholder: '<name>',
    description: 'SQS queue for poison messages (default: the queue redrive policy, else log and drop).',
  },
  {
    key: 'allowedAccounts',
    flag: 'allowed-account',
    env: 'BLOX_ALLOWED_ACCOUNTS',
    type: 'list',
    default: [],
    placeholder: '<id>',
    description: 'Accept events of these AWS accounts only (repeatable; default any).',
  },
  {
    key: 'allowedRegions',
    flag: 'allowed-region',
    env: 'BLOX_ALLOWED_REGIONS',
    type: 'list',
    default: [],
    placeholder: '<region>',
    description: 'Accept events of these regions only (repeatable; default any).',
  },
  {
    key: 'reconcile',
    flag: 'reconcile',
    env: 'BLOX_RECONCILE',
    type: 'boolean',
    default: true,
    description: 'Reconcile the store against the ECS API in the background (never blocks the API).',
  },
  {
    key: 'reconcileInterval',
    flag: 'reconcile-interval',
    env: 'BLOX_RECONCILE_INTERVAL',
    type: 'duration',
    default: 300_000,
    description: 'Time between reconcile passes (0 = only at start).',
  },
  {
    key: 'reconcileClusters',
    flag: 'reconcile-cluster',
    env: 'BLOX_RECONCILE_CLUSTERS',
    type: 'list',
    default: [],
    placeholder: '<cluster>',
    description: 'Reconcile only these clusters (repeatable; default every cluster of the account).',
  },
  {
    key: 'retention',
    flag: 'retention',
    env: 'BLOX_RETENTION',
    type: 'duration',
    default: 3_600_000,
    description:
      'How long STOPPED tasks and INACTIVE instances are kept before they are removed (0 = remove at the next sweep).',
  },
  {
    key: 'retentionInterval',
    flag: 'retention-interval',
    env: 'BLOX_RETENTION_INTERVAL',
    type: 'duration',
    default: 60_000,
    description: 'How often finished entities are swept (0 = never).',
  },
  {
    key: 'compactionRetainRevisions',
    flag: 'compaction-retain-revisions',
    env: 'BLOX_COMPACTION_RETAIN_REVISIONS',
    type: 'int',
    min: 1,
    default: 10_000,
    description: 'Store history kept for stream resumes: at least this many revisions…',
  },
  {
    key: 'compactionRetain',
    flag: 'compaction-retain',
    env: 'BLOX_COMPACTION_RETAIN',
    type: 'duration',
    default: 3_600_000,
    description: '…and at least this long. Older resumes get 410 (re-list).',
  },
  {
    key: 'indexChangeLog',
    flag: 'index-change-log',
    env: 'BLOX_INDEX_CHANGE_LOG',
    type: 'int',
    min: 1,
    max: 10_000_000,
    default: 10_000,
    description: 'Changes kept in memory for stream resumes (older ones are read from the store history).',
  },
  {
    key: 'streamHeartbeat',
    flag: 'stream-heartbeat',
    env: 'BLOX_STREAM_HEARTBEAT',
    type: 'duration',
    default: 10_000,
    description:
      'Bookmark line interval on idle NDJSON and SSE streams (0 = none; v0.3-style octet-stream clients never get bookmarks).',
  },
  {
    key: 'streamMaxQueued',
    flag: 'stream-max-queued',
    env: 'BLOX_STREAM_MAX_QUEUED',
    type: 'int',
    min: 1,
    default: 10_000,
    description: 'Unsent lines after which a slow stream client is disconnected with an error line.',
  },
  ...storeSettings,
  ...awsSettings,
] as const);
