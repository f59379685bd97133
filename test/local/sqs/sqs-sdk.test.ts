import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { md5OfMessageAttributes } from '../../../src/local/sqs/index.js';
import { waitFor } from '../../support/env.js';
import { rejection, startSqs } from './harness.js';

describe('SQS emulator through @aws-sdk/client-sqs (JSON 1.0)', () => {
  let env: Awaited<ReturnType<typeof startSqs>>;
  let client: SQSClient;
  let n = 0;
  const fresh = async (attributes?: Record<string, string>) => {
    const name = `q${++n}`;
    const out = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return { name, url: out.QueueUrl! };
  };

  before(async () => {
    env = await startSqs();
    client = env.client;
  });
  after(() => env.close());

  it('creates queues idempotently, builds URLs from the Host, and rejects conflicting attributes', async () => {
    const a = await client.send(
      new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '5' } }),
    );
    assert.equal(a.QueueUrl, `${env.endpoint}/123456789012/orders`);
    const b = await client.send(
      new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '5' } }),
    );
    assert.equal(b.QueueUrl, a.QueueUrl);
    const conflict = await rejection(
      client.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '6' } })),
    );
    assert.equal(conflict.name, 'QueueNameExists');
    const bad = await rejection(client.send(new CreateQueueCommand({ QueueName: 'has space' })));
    assert.equal(bad.name, 'InvalidParameterValue');
    const badAttr = await rejection(
      client.send(new CreateQueueCommand({ QueueName: 'x1', Attributes: { VisibilityTimeout: '99999' } })),
    );
    assert.equal(badAttr.name, 'InvalidAttributeValue');
    const url = await client.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    assert.equal(url.QueueUrl, a.QueueUrl);
    const missing = await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    assert.equal(missing.name, 'QueueDoesNotExist');
    assert.equal(missing.$metadata?.httpStatusCode, 400);
  });

  it('lists queues by prefix with pagination, and deletes them', async () => {
    for (const name of ['list-a', 'list-b', 'list-c'])
      await client.send(new CreateQueueCommand({ QueueName: name }));
    const all = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    assert.deepEqual(
      all.QueueUrls?.map((u) => u.split('/').pop()),
      ['list-a', 'list-b', 'list-c'],
    );
    assert.equal(all.NextToken, undefined);
    const page1 = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
    assert.equal(page1.QueueUrls?.length, 2);
    assert.ok(page1.NextToken);
    const page2 = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: page1.NextToken }),
    );
    assert.deepEqual(
      page2.QueueUrls?.map((u) => u.split('/').pop()),
      ['list-c'],
    );
    assert.equal(page2.NextToken, undefined);
    await client.send(new DeleteQueueCommand({ QueueUrl: all.QueueUrls![0] }));
    const after = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    assert.equal(after.QueueUrls?.length, 2);
    const gone = await rejection(client.send(new DeleteQueueCommand({ QueueUrl: all.QueueUrls![0] })));
    assert.equal(gone.name, 'QueueDoesNotExist');
    // the same URL once its queue exists again, and URLs that cannot name a queue
    await client.send(new CreateQueueCommand({ QueueName: 'list-a' }));
    await env.sqs.call('GetQueueAttributes', { QueueUrl: all.QueueUrls![0] });
    for (const bad of [`${all.QueueUrls![0]}%E0%A4%A`, 'http://[bad', '/999999999999/list-a', '/a/b/c'])
      await assert.rejects(env.sqs.call('GetQueueAttributes', { QueueUrl: bad }), {
        code: 'QueueDoesNotExist',
      });
    const none = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'zzz' }));
    assert.equal(none.QueueUrls, undefined);
  });

  it('gets and sets attributes, named and All, with approximate counts', async () => {
    const q = await fresh();
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: {
          VisibilityTimeout: '7',
          DelaySeconds: '0',
          ReceiveMessageWaitTimeSeconds: '1',
          MessageRetentionPeriod: '600',
          MaximumMessageSize: '2048',
        },
      }),
    );
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'one' }));
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'two' }));
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'later', DelaySeconds: 60 }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 1 }));
    const all = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }),
    );
    const a = all.Attributes!;
    assert.equal(a.QueueArn, `arn:aws:sqs:us-east-1:123456789012:${q.name}`);
    assert.equal(a.VisibilityTimeout, '7');
    assert.equal(a.MessageRetentionPeriod, '600');
    assert.equal(a.ReceiveMessageWaitTimeSeconds, '1');
    assert.equal(a.MaximumMessageSize, '2048');
    assert.equal(a.ApproximateNumberOfMessages, '1');
    assert.equal(a.ApproximateNumberOfMessagesNotVisible, '1');
    assert.equal(a.ApproximateNumberOfMessagesDelayed, '1');
    assert.match(a.CreatedTimestamp!, /^\d{10}$/);
    const named = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['QueueArn'] }),
    );
    assert.deepEqual(Object.keys(named.Attributes!), ['QueueArn']);
    const unknown = await rejection(
      client.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['Bogus' as never] })),
    );
    assert.equal(unknown.name, 'InvalidAttributeName');
    const bad = await rejection(
      client.send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { DelaySeconds: '901' } })),
    );
    assert.equal(bad.name, 'InvalidAttributeValue');
  });

  it('sends and receives with MD5s, message attributes and system attributes', async () => {
    const q = await fresh();
    const attrs = {
      kind: { DataType: 'String', StringValue: 'event' },
      n: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'héllo wörld', MessageAttributes: attrs }),
    );
    assert.equal(sent.MD5OfMessageBody, createHash('md5').update('héllo wörld').digest('hex'));
    assert.equal(
      sent.MD5OfMessageAttributes,
      md5OfMessageAttributes({
        kind: attrs.kind,
        n: attrs.n,
        raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
      }),
    );
    // A known vector (the value the AWS docs' example computes for a single String attribute).
    assert.equal(
      md5OfMessageAttributes({ a: { DataType: 'String', StringValue: 'b' } }),
      createHash('md5')
        .update(Buffer.from([0, 0, 0, 1, 0x61, 0, 0, 0, 6, ...Buffer.from('String'), 1, 0, 0, 0, 1, 0x62]))
        .digest('hex'),
    );
    const before = Date.now();
    const got = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const m = got.Messages![0]!;
    assert.equal(m.Body, 'héllo wörld');
    assert.equal(m.MessageId, sent.MessageId);
    assert.equal(m.MD5OfBody, sent.MD5OfMessageBody);
    assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(m.MessageAttributes?.kind?.StringValue, 'event');
    assert.deepEqual([...(m.MessageAttributes?.raw?.BinaryValue ?? [])], [1, 2, 3]);
    assert.equal(m.Attributes?.ApproximateReceiveCount, '1');
    assert.ok(Number(m.Attributes?.SentTimestamp) <= Date.now());
    assert.ok(Number(m.Attributes?.ApproximateFirstReceiveTimestamp) >= before - 5);
    assert.equal(m.Attributes?.SenderId, '123456789012');

    // Only the named attribute comes back, with the MD5 of what was returned.
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: q.url,
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const some = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MessageAttributeNames: ['kind'],
        // The deprecated member old clients still send.
        AttributeNames: ['ApproximateReceiveCount' as never],
      }),
    );
    const m2 = some.Messages![0]!;
    assert.deepEqual(Object.keys(m2.MessageAttributes!), ['kind']);
    assert.equal(m2.MD5OfMessageAttributes, md5OfMessageAttributes({ kind: attrs.kind }));
    assert.deepEqual(m2.Attributes, { ApproximateReceiveCount: '2' });
  });

  it('validates messages: size limit (1 MiB), empty and invalid bodies, attributes, parameters', async () => {
    const q = await fresh();
    const exact = 'x'.repeat(1_048_576);
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: exact }));
    const big = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: exact + 'y' })),
    );
    assert.equal(big.name, 'InvalidParameterValue');
    assert.match(big.message, /1048576/);
    const empty = await rejection(client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: '' })));
    assert.equal(empty.name, 'InvalidParameterValue');
    const bad = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'a\u0001b' })),
    );
    assert.equal(bad.name, 'InvalidMessageContents');
    const attr = await rejection(
      client.send(
        new SendMessageCommand({
          QueueUrl: q.url,
          MessageBody: 'x',
          MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } },
        }),
      ),
    );
    assert.equal(attr.name, 'InvalidParameterValue');
    const delay = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'x', DelaySeconds: 901 })),
    );
    assert.equal(delay.name, 'InvalidParameterValue');
    const max = await rejection(
      client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 11 })),
    );
    assert.equal(max.name, 'InvalidParameterValue');
    const wait = await rejection(
      client.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 21 })),
    );
    assert.equal(wait.name, 'InvalidParameterValue');
    const noQueue = await rejection(
      client.send(
        new SendMessageCommand({ QueueUrl: `${env.endpoint}/123456789012/nope`, MessageBody: 'x' }),
      ),
    );
    assert.equal(noQueue.name, 'QueueDoesNotExist');
    const missing = await rejection(client.send(new SendMessageCommand({ QueueUrl: q.url } as never)));
    assert.equal(missing.name, 'MissingParameter');
  });

  it('receives 1-10 messages per call, hides them for the visibility timeout, and shows them again', async () => {
    const q = await fresh();
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: q.url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body-${i}` })),
      }),
    );
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'body-10' }));
    const first = await client.send(
      new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }),
    );
    assert.equal(first.Messages?.length, 10);
    assert.deepEqual(
      first.Messages?.map((m) => m.Body),
      Array.from({ length: 10 }, (_, i) => `body-${i}`),
    );
    const rest = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10 }));
    assert.deepEqual(
      rest.Messages?.map((m) => m.Body),
      ['body-10'],
    );
    const none = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10 }));
    assert.equal(none.Messages, undefined);
    // After the 1 s visibility timeout the ten come back; a long poll wakes for them.
    const again = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    assert.ok((again.Messages?.length ?? 0) >= 1);
    assert.equal(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '2');
  });

  it('long polling wakes as soon as a message is sent, and ends empty after WaitTimeSeconds', async () => {
    const q = await fresh();
    const started = Date.now();
    const poll = client.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 20 }));
    await waitFor('the long poll to reach the server', () => env.sqs.pendingPolls === 1);
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'wake' }));
    const got = await poll;
    assert.equal(got.Messages?.[0]?.Body, 'wake');
    assert.ok(Date.now() - started < 5000, 'the long poll returned long before its 20 s wait');
    const t0 = Date.now();
    const empty = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    assert.equal(empty.Messages, undefined);
    assert.ok(Date.now() - t0 >= 900, 'waited about one second');
  });

  it('long polling wakes when a delayed message becomes visible', async () => {
    const q = await fresh();
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'soon', DelaySeconds: 1 }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 5 }));
    assert.equal(got.Messages?.[0]?.Body, 'soon');
  });

  it('deletes by receipt handle; garbage handles are ReceiptHandleIsInvalid', async () => {
    const q = await fresh();
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'd' }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, VisibilityTimeout: 0 }));
    const handle = got.Messages![0]!.ReceiptHandle!;
    await client.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: handle }));
    await client.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: handle })); // again: no error
    const none = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url }));
    assert.equal(none.Messages, undefined);
    const invalid = await rejection(
      client.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: 'garbage' })),
    );
    assert.equal(invalid.name, 'ReceiptHandleIsInvalid');
    assert.equal(invalid.$metadata?.httpStatusCode, 404);
  });

  it('batches: per-entry failures, and typed errors for empty, too many, duplicate and invalid ids', async () => {
    const q = await fresh();
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: q.url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine' },
          { Id: 'bad', MessageBody: 'x', DelaySeconds: 5000 },
        ],
      }),
    );
    assert.deepEqual(
      sent.Successful?.map((e) => e.Id),
      ['ok'],
    );
    assert.equal(sent.Successful?.[0]?.MD5OfMessageBody, createHash('md5').update('fine').digest('hex'));
    assert.equal(sent.Failed?.[0]?.Id, 'bad');
    assert.equal(sent.Failed?.[0]?.Code, 'InvalidParameterValue');
    assert.equal(sent.Failed?.[0]?.SenderFault, true);

    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url }));
    const del = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: q.url,
        Entries: [
          { Id: 'a', ReceiptHandle: got.Messages![0]!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    assert.deepEqual(
      del.Successful?.map((e) => e.Id),
      ['a'],
    );
    assert.equal(del.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');

    const empty = await rejection(
      client.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: [] })),
    );
    assert.equal(empty.name, 'EmptyBatchRequest');
    const many = await rejection(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: q.url,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
        }),
      ),
    );
    assert.equal(many.name, 'TooManyEntriesInBatchRequest');
    const dup = await rejection(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: q.url,
          Entries: [
            { Id: 'same', MessageBody: 'x' },
            { Id: 'same', MessageBody: 'y' },
          ],
        }),
      ),
    );
    assert.equal(dup.name, 'BatchEntryIdsNotDistinct');
    const badId = await rejection(
      client.send(
        new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'no spaces!', MessageBody: 'x' }] }),
      ),
    );
    assert.equal(badId.name, 'InvalidBatchEntryId');
    const tooLong = await rejection(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: q.url,
          Entries: [
            { Id: 'a', MessageBody: 'x'.repeat(600_000) },
            { Id: 'b', MessageBody: 'x'.repeat(600_000) },
          ],
        }),
      ),
    );
    assert.equal(tooLong.name, 'BatchRequestTooLong');
  });

  it('changes visibility, singly and in batches; MessageNotInflight for a visible message', async () => {
    const q = await fresh({ VisibilityTimeout: '300' });
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: q.url,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
        ],
      }),
    );
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 2 }));
    assert.equal(got.Messages?.length, 2);
    const [a, b] = got.Messages!;
    const changed = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: q.url,
        Entries: [
          { Id: 'a', ReceiptHandle: a!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'x', ReceiptHandle: 'junk', VisibilityTimeout: 0 },
        ],
      }),
    );
    assert.deepEqual(
      changed.Successful?.map((e) => e.Id),
      ['a'],
    );
    assert.equal(changed.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
    const visibleAgain = await client.send(
      new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10 }),
    );
    assert.deepEqual(
      visibleAgain.Messages?.map((m) => m.Body),
      ['a'],
    );
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: q.url,
        ReceiptHandle: b!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const notInflight = await rejection(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: q.url,
          ReceiptHandle: b!.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    );
    assert.equal(notInflight.name, 'MessageNotInflight');
    const outOfRange = await rejection(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: q.url,
          ReceiptHandle: b!.ReceiptHandle,
          VisibilityTimeout: 43_201,
        }),
      ),
    );
    assert.equal(outOfRange.name, 'InvalidParameterValue');
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await fresh();
    const dlqArn = (
      await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const q = await fresh({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) {
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url, VisibilityTimeout: 0 }));
      assert.equal(got.Messages?.[0]?.Body, 'poison', `receive ${i + 1}`);
    }
    const third = await client.send(new ReceiveMessageCommand({ QueueUrl: q.url }));
    assert.equal(third.Messages, undefined);
    const dead = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MessageSystemAttributeNames: ['DeadLetterQueueSourceArn'],
      }),
    );
    assert.equal(dead.Messages?.[0]?.Body, 'poison');
    assert.match(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn ?? '', new RegExp(`:${q.name}$`));
    const sources = await client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }));
    assert.deepEqual(sources.queueUrls, [q.url]);
    const badPolicy = await rejection(
      client.send(
        new SetQueueAttributesCommand({
          QueueUrl: q.url,
          Attributes: { RedrivePolicy: '{"maxReceiveCount":0}' },
        }),
      ),
    );
    assert.equal(badPolicy.name, 'InvalidAttributeValue');
  });

  it('purges a queue, tags it, and honours MessageRetentionPeriod bounds', async () => {
    const q = await fresh();
    await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'p' }));
    await client.send(new PurgeQueueCommand({ QueueUrl: q.url }));
    const attrs = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, '0');
    await client.send(new TagQueueCommand({ QueueUrl: q.url, Tags: { team: 'blox', env: 'test' } }));
    await client.send(new UntagQueueCommand({ QueueUrl: q.url, TagKeys: ['env'] }));
    const tags = await client.send(new ListQueueTagsCommand({ QueueUrl: q.url }));
    assert.deepEqual(tags.Tags, { team: 'blox' });
    const low = await rejection(
      client.send(
        new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { MessageRetentionPeriod: '59' } }),
      ),
    );
    assert.equal(low.name, 'InvalidAttributeValue');
  });

  it('FIFO queues need a group id and deduplicate by id', async () => {
    const out = await client.send(
      new CreateQueueCommand({ QueueName: 'jobs.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const url = out.QueueUrl!;
    const noGroup = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })),
    );
    assert.equal(noGroup.name, 'MissingParameter');
    const a = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd1',
      }),
    );
    const b = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd1',
      }),
    );
    assert.equal(a.MessageId, b.MessageId);
    assert.ok(a.SequenceNumber);
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(got.Messages?.length, 1);
    const notFifo = await rejection(
      client.send(new CreateQueueCommand({ QueueName: 'plain', Attributes: { FifoQueue: 'true' } })),
    );
    assert.equal(notFifo.name, 'InvalidParameterValue');
  });
});
