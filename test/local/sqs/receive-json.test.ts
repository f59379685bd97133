import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageJson } from '../../../src/local/sqs/message-json.js';
import { receiveMessages, receiveOutput } from '../../../src/local/sqs/operations.js';
import { SqsQueue } from '../../../src/local/sqs/queue.js';
import { receiveJson } from '../../../src/local/sqs/receive-json.js';
import { SqsEmulator } from '../../../src/local/sqs/sqs-emulator.js';

// ReceiveMessage's JSON answer is written from bytes prepared at send time; it must be exactly
// what JSON.stringify writes for the operation's output, whatever the body and attributes.

const BODIES = [
  'plain',
  'x'.repeat(2048),
  '{"detail-type":"ECS Task State Change","detail":{"lastStatus":"RUNNING"}}',
  'quotes " and back\\slashes \\" and a tab\tand\nnew\r\nlines',
  'ünïcödé – “typographic” 日本語 and emoji 🚀🧪',
  '\u0001\u001f control characters (sent directly, bypassing SendMessage validation)',
  '\u2028\u2029 line separators',
  'a lone surrogate \ud800 (sent directly) and </script>',
];

async function roundTrip(input: Record<string, unknown>, setup?: (sqs: SqsEmulator) => void) {
  const sqs = new SqsEmulator({ now: () => 1_700_000_000_000 });
  setup?.(sqs);
  const queue = sqs.getQueue('q') ?? sqs.createQueue('q');
  const url = sqs.queueUrl('q');
  for (const body of BODIES)
    sqs.send(queue, body, {
      attributes: {
        Name: { DataType: 'String', StringValue: 'value "quoted" ü' },
        Bytes: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
        'Count.x': { DataType: 'Number', StringValue: '42' },
      },
    });
  const received = await receiveMessages(sqs, { QueueUrl: url, MaxNumberOfMessages: 10, ...input }, {});
  assert.equal(received.messages.length, BODIES.length);
  const direct = receiveJson(received);
  const viaObject = Buffer.from(JSON.stringify(receiveOutput(received)), 'utf8');
  assert.equal(direct.toString('utf8'), viaObject.toString('utf8'));
  assert.ok(direct.equals(viaObject), 'byte for byte');
  sqs.close();
  return JSON.parse(direct.toString('utf8')) as { Messages: Array<Record<string, unknown>> };
}

describe('ReceiveMessage JSON written from prepared bytes', () => {
  it('is byte-identical to JSON.stringify of the output, with no attributes asked for', async () => {
    const out = await roundTrip({});
    assert.deepEqual(
      out.Messages.map((m) => m.Body),
      BODIES,
    );
    assert.equal(out.Messages[0]!.MessageAttributes, undefined);
  });

  it('is byte-identical with every system and message attribute asked for', async () => {
    const out = await roundTrip({ AttributeNames: ['All'], MessageAttributeNames: ['All'] });
    assert.equal((out.Messages[0]!.Attributes as Record<string, string>).ApproximateReceiveCount, '1');
    assert.ok(out.Messages[0]!.MD5OfMessageAttributes);
  });

  it('is byte-identical with some attributes asked for (a subset gets its own MD5)', async () => {
    const out = await roundTrip({
      MessageSystemAttributeNames: ['SentTimestamp'],
      MessageAttributeNames: ['Count.*'],
    });
    assert.deepEqual(Object.keys(out.Messages[0]!.MessageAttributes as object), ['Count.x']);
  });

  it('answers {} when there is nothing to receive', async () => {
    const sqs = new SqsEmulator();
    sqs.createQueue('empty');
    const received = await receiveMessages(sqs, { QueueUrl: sqs.queueUrl('empty') }, {});
    assert.equal(receiveJson(received).toString(), JSON.stringify(receiveOutput(received)));
    assert.equal(receiveJson(received).toString(), '{}');
    sqs.close();
  });

  it('prepares the message part exactly as JSON.stringify would write it', () => {
    for (const body of BODIES) {
      const { json, handleAt } = messageJson('id "1"', 'abc', body);
      const text = `${json.subarray(0, handleAt).toString()}HANDLE${json.subarray(handleAt).toString()}}`;
      assert.equal(
        text,
        JSON.stringify({ MessageId: 'id "1"', ReceiptHandle: 'HANDLE', MD5OfBody: 'abc', Body: body }),
      );
    }
  });
});

describe('receipt handles', () => {
  const clock = () => 1_000_000;
  const fresh = () => new SqsQueue('q', 'arn:aws:sqs:us-east-1:123456789012:q', clock(), clock);
  const enqueue = (q: SqsQueue) =>
    q.enqueue(
      {
        id: 'm',
        body: 'b',
        md5OfBody: 'x',
        attributes: undefined,
        md5OfAttributes: undefined,
        systemAttributes: undefined,
        sentAt: clock(),
        senderId: '1',
      },
      0,
      clock(),
    );

  it('are plain ASCII, name the receive, and delete exactly their message', () => {
    const q = fresh();
    for (let i = 0; i < 50; i++) enqueue(q);
    const got = q.receive(10, 30, clock());
    const handles = got.map((m) => q.receiptHandle(m));
    for (const h of handles) assert.match(h, /^[0-9a-f]{8}-[0-9a-z]+-[0-9a-z]+$/);
    assert.equal(new Set(handles).size, 10);
    q.deleteByHandle(handles[3]!);
    assert.deepEqual(q.stats(clock()), { visible: 40, notVisible: 9, delayed: 0 });
  });

  it('reject anything malformed with ReceiptHandleIsInvalid', () => {
    const q = fresh();
    const msg = enqueue(q);
    q.receive(1, 30, clock());
    const good = q.receiptHandle(msg);
    const token = good.split('-')[0]!;
    const malformed = [
      '',
      'garbage',
      token,
      `${token}-`,
      `${token}-1`,
      `${token}-1-`,
      `${token}--1`,
      `${token}-1-Z`,
      `${token}-1-1-1`,
      `${token}-!-1`,
      `${token}-1-${'1'.repeat(11)}`,
      `${token}x1-1`,
      // another queue's token (never this one's)
      `${token === '00000000' ? 'ffffffff' : '00000000'}-1-1`,
      ` ${good}`,
    ];
    // upper case is malformed only where the handle has letters (a token of digits has none)
    if (good.toUpperCase() !== good) malformed.push(good.toUpperCase());
    for (const handle of malformed)
      assert.throws(() => q.deleteByHandle(handle), { name: 'ReceiptHandleIsInvalid' }, handle);
    assert.deepEqual(q.stats(clock()), { visible: 0, notVisible: 1, delayed: 0 }, 'nothing deleted');
  });

  it('of an unknown message or an earlier receive are accepted and change nothing', () => {
    const q = fresh();
    const msg = enqueue(q);
    q.receive(1, 0, clock());
    const first = q.receiptHandle(msg);
    q.receive(1, 30, clock());
    const token = first.split('-')[0]!;
    q.deleteByHandle(`${token}-zz-1`);
    q.deleteByHandle(first);
    assert.deepEqual(q.stats(clock()), { visible: 0, notVisible: 1, delayed: 0 });
    q.deleteByHandle(q.receiptHandle(msg));
    assert.deepEqual(q.stats(clock()), { visible: 0, notVisible: 0, delayed: 0 });
  });
});
