import { sqsErrors } from './errors.js';

/** The settable attributes of a queue, parsed; SQS sends and receives every value as a string. */
export interface QueueSettings {
  VisibilityTimeout: number;
  MessageRetentionPeriod: number;
  ReceiveMessageWaitTimeSeconds: number;
  DelaySeconds: number;
  MaximumMessageSize: number;
  RedrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
  /** Attributes stored and echoed as given (Policy, KMS, FIFO details, RedriveAllowPolicy, …). */
  opaque: Record<string, string>;
}

export const MAX_MESSAGE_BYTES = 1_048_576;

const INTEGER_RANGES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1_024, MAX_MESSAGE_BYTES],
};

const OPAQUE = new Set([
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'RedriveAllowPolicy',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

/** Read-only attributes, computed on request. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export const KNOWN_ATTRIBUTES = new Set<string>([
  ...Object.keys(INTEGER_RANGES),
  ...OPAQUE,
  ...COMPUTED_ATTRIBUTES,
  'RedrivePolicy',
  'FifoQueue',
]);

export function defaultSettings(): QueueSettings {
  return {
    VisibilityTimeout: 30,
    MessageRetentionPeriod: 345_600,
    ReceiveMessageWaitTimeSeconds: 0,
    DelaySeconds: 0,
    MaximumMessageSize: MAX_MESSAGE_BYTES,
    opaque: { SqsManagedSseEnabled: 'true' },
  };
}

/**
 * Applies attributes given to CreateQueue or SetQueueAttributes onto `base`, validating each
 * the way SQS does (unknown name → InvalidAttributeName, bad value → InvalidAttributeValue).
 * `fifo` tells whether the queue is a FIFO queue (FifoQueue may only be given at creation).
 */
export function applyAttributes(
  base: QueueSettings,
  attributes: Record<string, string>,
  context: { creating: boolean; fifo: boolean },
): QueueSettings {
  const next: QueueSettings = { ...base, opaque: { ...base.opaque } };
  for (const [name, raw] of Object.entries(attributes)) {
    const value = String(raw);
    const range = INTEGER_RANGES[name];
    if (range) {
      const n = Number(value);
      if (!/^\d+$/.test(value.trim()) || n < range[0] || n > range[1])
        throw sqsErrors.invalidAttributeValue(
          name,
          `must be an integer from ${range[0]} to ${range[1]}; got "${value}".`,
        );
      (next as unknown as Record<string, number>)[name] = n;
    } else if (name === 'RedrivePolicy') {
      if (value === '') delete next.RedrivePolicy;
      else next.RedrivePolicy = parseRedrivePolicy(value);
    } else if (name === 'FifoQueue') {
      if (!context.creating)
        throw sqsErrors.invalidAttributeName('FifoQueue (it can only be set when the queue is created)');
      if (value !== 'true' && value !== 'false')
        throw sqsErrors.invalidAttributeValue(name, `must be "true" or "false"; got "${value}".`);
      if ((value === 'true') !== context.fifo)
        throw sqsErrors.invalidParameterValue(
          'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
        );
    } else if (OPAQUE.has(name)) {
      next.opaque[name] = value;
    } else if ((COMPUTED_ATTRIBUTES as readonly string[]).includes(name)) {
      throw sqsErrors.invalidAttributeName(`${name} (it is read-only)`);
    } else {
      throw sqsErrors.invalidAttributeName(name);
    }
  }
  return next;
}

function parseRedrivePolicy(value: string): { deadLetterTargetArn: string; maxReceiveCount: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw sqsErrors.invalidAttributeValue('RedrivePolicy', 'Redrive policy is not a valid JSON map.');
  }
  const policy = parsed as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  if (typeof policy !== 'object' || policy === null)
    throw sqsErrors.invalidAttributeValue('RedrivePolicy', 'Redrive policy is not a valid JSON map.');
  const arn = policy.deadLetterTargetArn;
  const count = Number(policy.maxReceiveCount);
  if (typeof arn !== 'string' || !arn.startsWith('arn:aws:sqs:'))
    throw sqsErrors.invalidAttributeValue(
      'RedrivePolicy',
      'Value for parameter deadLetterTargetArn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>).',
    );
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw sqsErrors.invalidAttributeValue(
      'RedrivePolicy',
      'Value for parameter maxReceiveCount must be an integer from 1 to 1000.',
    );
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

/** The string form of every stored (not computed) attribute, as GetQueueAttributes returns it. */
export function renderSettings(settings: QueueSettings, fifo: boolean): Record<string, string> {
  const out: Record<string, string> = {
    VisibilityTimeout: String(settings.VisibilityTimeout),
    MessageRetentionPeriod: String(settings.MessageRetentionPeriod),
    ReceiveMessageWaitTimeSeconds: String(settings.ReceiveMessageWaitTimeSeconds),
    DelaySeconds: String(settings.DelaySeconds),
    MaximumMessageSize: String(settings.MaximumMessageSize),
    ...settings.opaque,
  };
  if (settings.RedrivePolicy) out.RedrivePolicy = JSON.stringify(settings.RedrivePolicy);
  if (fifo) out.FifoQueue = 'true';
  return out;
}
