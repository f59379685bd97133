import { AwsError } from '../http/aws-error.js';
import { sqsErrors } from './errors.js';
import {
  batchEntries,
  hasInvalidCharacters,
  messageAttributes,
  messageSize,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
  stringList,
  stringMap,
  type Input,
} from './input.js';
import { md5OfMessageAttributes, type MessageAttributeValue } from './md5.js';
import type { COMPUTED_ATTRIBUTES } from './queue-attributes.js';
import { applyAttributes, KNOWN_ATTRIBUTES, MAX_MESSAGE_BYTES, renderSettings } from './queue-attributes.js';
import type { SqsQueue, StoredMessage } from './queue.js';
import type { SqsCallContext, SqsEmulator } from './sqs-emulator.js';

export type Output = Record<string, unknown>;
type Operation = (sqs: SqsEmulator, input: Input, ctx: SqsCallContext) => Output | Promise<Output>;

/** The SQS operations, each taking and returning the JSON protocol's PascalCase shapes. */
export const operations: Record<string, Operation> = {
  CreateQueue(sqs, input, ctx) {
    const name = requiredString(input, 'QueueName');
    const queue = sqs.createQueue(name, stringMap(input, 'Attributes'), stringMap(input, 'tags'));
    return { QueueUrl: sqs.queueUrl(queue.name, ctx.host) };
  },

  GetQueueUrl(sqs, input, ctx) {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    const queue = sqs.getQueue(name);
    if (!queue || (owner !== undefined && owner !== sqs.account)) throw sqsErrors.queueDoesNotExist();
    return { QueueUrl: sqs.queueUrl(queue.name, ctx.host) };
  },

  ListQueues(sqs, input, ctx) {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInt(input, 'MaxResults', 1, 1000);
    const token = optionalString(input, 'NextToken');
    let after = '';
    if (token !== undefined) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (!after.startsWith('after:'))
        throw sqsErrors.invalidParameterValue(
          'Invalid NextToken value; pass the NextToken a previous ListQueues returned.',
        );
      after = after.slice(6);
    }
    const names = sqs
      .listQueues()
      .map((q) => q.name)
      .filter((n) => n.startsWith(prefix) && n > after);
    const limit = maxResults ?? 1000;
    const page = names.slice(0, limit);
    const output: Output = {};
    if (page.length > 0) output.QueueUrls = page.map((n) => sqs.queueUrl(n, ctx.host));
    if (maxResults !== undefined && names.length > limit)
      output.NextToken = Buffer.from(`after:${page[page.length - 1]}`).toString('base64url');
    return output;
  },

  DeleteQueue(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    sqs.deleteQueue(queue.name);
    return {};
  },

  PurgeQueue(sqs, input) {
    sqs.resolveQueueUrl(requiredString(input, 'QueueUrl')).purge();
    return {};
  },

  GetQueueAttributes(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const names = stringList(input, 'AttributeNames');
    for (const name of names)
      if (name !== 'All' && !KNOWN_ATTRIBUTES.has(name)) throw sqsErrors.invalidAttributeName(name);
    if (names.length === 0) return {};
    const all = queueAttributes(sqs, queue);
    const wanted = names.includes('All') ? Object.keys(all) : names;
    const Attributes: Record<string, string> = {};
    for (const name of wanted) if (all[name] !== undefined) Attributes[name] = all[name];
    return Object.keys(Attributes).length > 0 ? { Attributes } : {};
  },

  SetQueueAttributes(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const attributes = stringMap(input, 'Attributes');
    if (Object.keys(attributes).length === 0) throw sqsErrors.missingParameter('Attributes');
    queue.settings = applyAttributes(queue.settings, attributes, { creating: false, fifo: queue.fifo });
    queue.lastModifiedAt = sqs.now();
    return {};
  },

  SendMessage(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const sent = sendOne(sqs, queue, input);
    return {
      MD5OfMessageBody: sent.message.md5OfBody,
      ...(sent.message.md5OfAttributes ? { MD5OfMessageAttributes: sent.message.md5OfAttributes } : {}),
      ...(sent.message.systemAttributes
        ? { MD5OfMessageSystemAttributes: md5OfMessageAttributes(sent.message.systemAttributes) }
        : {}),
      MessageId: sent.message.id,
      ...(sent.message.sequenceNumber ? { SequenceNumber: sent.message.sequenceNumber } : {}),
    };
  },

  SendMessageBatch(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const entries = batchEntries(input);
    let total = 0;
    for (const entry of entries) {
      const body = typeof entry.MessageBody === 'string' ? entry.MessageBody : '';
      total += Buffer.byteLength(body);
      for (const [name, raw] of Object.entries((entry.MessageAttributes ?? {}) as Record<string, Input>))
        total += Buffer.byteLength(name) + JSON.stringify(raw ?? '').length;
    }
    if (total > MAX_MESSAGE_BYTES) throw sqsErrors.batchRequestTooLong(total, MAX_MESSAGE_BYTES);
    return perEntry(entries, (entry) => {
      const sent = sendOne(sqs, queue, entry);
      return {
        MessageId: sent.message.id,
        MD5OfMessageBody: sent.message.md5OfBody,
        ...(sent.message.md5OfAttributes ? { MD5OfMessageAttributes: sent.message.md5OfAttributes } : {}),
        ...(sent.message.systemAttributes
          ? { MD5OfMessageSystemAttributes: md5OfMessageAttributes(sent.message.systemAttributes) }
          : {}),
        ...(sent.message.sequenceNumber ? { SequenceNumber: sent.message.sequenceNumber } : {}),
      };
    });
  },

  async ReceiveMessage(sqs, input, ctx) {
    return receiveOutput(await receiveMessages(sqs, input, ctx));
  },

  DeleteMessage(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    queue.deleteByHandle(requiredString(input, 'ReceiptHandle'));
    return {};
  },

  DeleteMessageBatch(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    return perEntry(batchEntries(input), (entry) => {
      queue.deleteByHandle(requiredString(entry, 'ReceiptHandle'));
      return {};
    });
  },

  ChangeMessageVisibility(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const handle = requiredString(input, 'ReceiptHandle');
    queue.changeVisibility(handle, requiredInt(input, 'VisibilityTimeout', 0, 43_200), sqs.now());
    return {};
  },

  ChangeMessageVisibilityBatch(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    return perEntry(batchEntries(input), (entry) => {
      const handle = requiredString(entry, 'ReceiptHandle');
      queue.changeVisibility(handle, requiredInt(entry, 'VisibilityTimeout', 0, 43_200), sqs.now());
      return {};
    });
  },

  TagQueue(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const tags = stringMap(input, 'Tags');
    if (Object.keys(tags).length === 0) throw sqsErrors.missingParameter('Tags');
    Object.assign(queue.tags, tags);
    return {};
  },

  UntagQueue(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const keys = stringList(input, 'TagKeys');
    if (keys.length === 0) throw sqsErrors.missingParameter('TagKeys');
    for (const key of keys) delete queue.tags[key];
    return {};
  },

  ListQueueTags(sqs, input) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    return Object.keys(queue.tags).length > 0 ? { Tags: { ...queue.tags } } : {};
  },

  ListDeadLetterSourceQueues(sqs, input, ctx) {
    const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
    const sources = sqs
      .listQueues()
      .filter((q) => q.settings.RedrivePolicy?.deadLetterTargetArn === queue.arn)
      .map((q) => sqs.queueUrl(q.name, ctx.host));
    return { queueUrls: sources };
  },
};

export const SQS_OPERATIONS = new Set(Object.keys(operations));

function queueAttributes(sqs: SqsEmulator, queue: SqsQueue): Record<string, string> {
  const stats = queue.stats(sqs.now());
  const computed: Record<(typeof COMPUTED_ATTRIBUTES)[number], string> = {
    ApproximateNumberOfMessages: String(stats.visible),
    ApproximateNumberOfMessagesNotVisible: String(stats.notVisible),
    ApproximateNumberOfMessagesDelayed: String(stats.delayed),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
    QueueArn: queue.arn,
  };
  return { ...computed, ...renderSettings(queue.settings, queue.fifo) };
}

function sendOne(sqs: SqsEmulator, queue: SqsQueue, input: Input): { message: StoredMessage } {
  const body = input.MessageBody;
  if (body === undefined || body === null) throw sqsErrors.missingParameter('MessageBody');
  if (typeof body !== 'string')
    throw sqsErrors.invalidParameterValue('Value for parameter MessageBody must be a string.');
  if (body === '')
    throw sqsErrors.invalidParameterValue(
      'The request must contain a non-empty MessageBody (at least 1 character).',
    );
  if (hasInvalidCharacters(body)) throw sqsErrors.invalidMessageContents();
  const delaySeconds = optionalInt(input, 'DelaySeconds', 0, 900);
  const attributes = messageAttributes(input.MessageAttributes, 'MessageAttributes');
  const systemAttributes = messageAttributes(input.MessageSystemAttributes, 'MessageSystemAttributes', {
    system: true,
  });
  const size = messageSize(body, attributes);
  const limit = queue.settings.MaximumMessageSize;
  if (size > limit)
    throw sqsErrors.invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes; this one is ${size} bytes (body plus attributes).`,
    );
  const groupId = optionalString(input, 'MessageGroupId');
  const deduplicationId = optionalString(input, 'MessageDeduplicationId');
  if (queue.fifo) {
    if (delaySeconds !== undefined && delaySeconds !== 0)
      throw sqsErrors.invalidParameterValue(
        `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    if (groupId === undefined) throw sqsErrors.missingParameter('MessageGroupId');
    if (deduplicationId === undefined && queue.settings.opaque.ContentBasedDeduplication !== 'true')
      throw sqsErrors.invalidParameterValue(
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
  } else if (deduplicationId !== undefined) {
    throw sqsErrors.invalidParameterValue(
      'The request includes a parameter that is not valid for this queue type: MessageDeduplicationId applies to FIFO queues only.',
    );
  }
  return sqs.send(queue, body, {
    ...(delaySeconds !== undefined ? { delaySeconds } : {}),
    ...(attributes ? { attributes } : {}),
    ...(systemAttributes ? { systemAttributes } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
    ...(deduplicationId !== undefined ? { deduplicationId } : {}),
  });
}

/** Runs each batch entry, collecting per-entry failures the way SQS reports them. */
function perEntry(entries: Input[], run: (entry: Input) => Output): Output {
  const Successful: Output[] = [];
  const Failed: Output[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      Failed.push({
        Id: entry.Id,
        SenderFault: err.fault === 'Sender',
        Code: err.queryCode ?? err.code,
        Message: err.message,
      });
    }
  }
  return { Successful, Failed };
}

function attributeNameFilter(names: string[]): (name: string) => boolean {
  if (names.length === 0) return () => false;
  if (names.includes('All') || names.includes('.*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

/** What ReceiveMessage took from its queue, and which attributes the caller asked for. */
export interface Received {
  queue: SqsQueue;
  messages: StoredMessage[];
  systemNames: ReadonlySet<string>;
  attributeFilter: (name: string) => boolean;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * ReceiveMessage's work, apart from writing its answer (each protocol writes its own); a promise
 * only when it has to wait (long poll).
 */
export function receiveMessages(
  sqs: SqsEmulator,
  input: Input,
  ctx: SqsCallContext,
): Received | Promise<Received> {
  const queue = sqs.resolveQueueUrl(requiredString(input, 'QueueUrl'));
  const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
  const visibility = optionalInt(input, 'VisibilityTimeout', 0, 43_200) ?? queue.settings.VisibilityTimeout;
  const wait = optionalInt(input, 'WaitTimeSeconds', 0, 20) ?? queue.settings.ReceiveMessageWaitTimeSeconds;
  const names = stringList(input, 'AttributeNames');
  const systemOnes = stringList(input, 'MessageSystemAttributeNames');
  const systemNames = names.length + systemOnes.length === 0 ? NO_NAMES : new Set([...names, ...systemOnes]);
  const attributeFilter = attributeNameFilter(stringList(input, 'MessageAttributeNames'));
  const got = sqs.receive(queue, max, visibility, wait, ctx.signal);
  return got instanceof Promise
    ? got.then((messages) => ({ queue, messages, systemNames, attributeFilter }))
    : { queue, messages: got, systemNames, attributeFilter };
}

/** ReceiveMessage's output shape (the JSON protocol writes the same bytes directly: receive-json.ts). */
export function receiveOutput(received: Received): Output {
  if (received.messages.length === 0) return {};
  return {
    Messages: received.messages.map((msg) => {
      const out: Output = {
        MessageId: msg.id,
        ReceiptHandle: received.queue.receiptHandle(msg),
        MD5OfBody: msg.md5OfBody,
        Body: msg.body,
      };
      const extras = messageExtras(msg, received);
      return extras ? Object.assign(out, extras) : out;
    }),
  };
}

/**
 * The fields of a received message after MessageId, ReceiptHandle, MD5OfBody and Body, in the
 * order SQS writes them (Attributes, MD5OfMessageAttributes, MessageAttributes); undefined when
 * there are none.
 */
export function messageExtras(
  msg: StoredMessage,
  { systemNames, attributeFilter }: Pick<Received, 'systemNames' | 'attributeFilter'>,
): Output | undefined {
  let out: Output | undefined;
  if (systemNames.size > 0) {
    const all = systemNames.has('All');
    const want = (name: string) => all || systemNames.has(name);
    const attrs: Record<string, string> = {};
    if (want('SenderId')) attrs.SenderId = msg.senderId;
    if (want('SentTimestamp')) attrs.SentTimestamp = String(msg.sentAt);
    if (want('ApproximateReceiveCount')) attrs.ApproximateReceiveCount = String(msg.receiveCount);
    if (want('ApproximateFirstReceiveTimestamp'))
      attrs.ApproximateFirstReceiveTimestamp = String(msg.firstReceiveAt);
    if (want('SequenceNumber') && msg.sequenceNumber) attrs.SequenceNumber = msg.sequenceNumber;
    if (want('MessageGroupId') && msg.groupId !== undefined) attrs.MessageGroupId = msg.groupId;
    if (want('MessageDeduplicationId') && msg.deduplicationId !== undefined)
      attrs.MessageDeduplicationId = msg.deduplicationId;
    if (want('DeadLetterQueueSourceArn') && msg.deadLetterSourceArn)
      attrs.DeadLetterQueueSourceArn = msg.deadLetterSourceArn;
    const trace = msg.systemAttributes?.AWSTraceHeader?.StringValue;
    if (want('AWSTraceHeader') && trace !== undefined) attrs.AWSTraceHeader = trace;
    if (Object.keys(attrs).length > 0) out = { Attributes: attrs };
  }
  if (msg.attributes) {
    const selected: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(msg.attributes))
      if (attributeFilter(name)) selected[name] = value;
    if (Object.keys(selected).length > 0) {
      out ??= {};
      out.MD5OfMessageAttributes =
        Object.keys(selected).length === Object.keys(msg.attributes).length
          ? msg.md5OfAttributes
          : md5OfMessageAttributes(selected);
      out.MessageAttributes = Object.fromEntries(
        Object.entries(selected).map(([name, v]) => [
          name,
          {
            DataType: v.DataType,
            ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
            ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue.toString('base64') } : {}),
          },
        ]),
      );
    }
  }
  return out;
}
