import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../src/aws/clients.js';
import { CommandSender } from '../../src/aws/command-sender.js';
import { NativeMd5 } from '../../src/aws/md5.js';
import { startLocalAws, type LocalAws } from '../../src/local/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function md5Of(...parts: Array<string | Uint8Array>): Promise<string> {
  const h = new NativeMd5();
  for (const p of parts) h.update(p);
  return hex(await h.digest());
}

describe('NativeMd5 (the SQS client’s message checks)', () => {
  it('gives the RFC 1321 test-suite digests', async () => {
    assert.equal(await md5Of(''), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal(await md5Of('a'), '0cc175b9c0f1b6a831c399e269772661');
    assert.equal(await md5Of('abc'), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(await md5Of('message digest'), 'f96b697d7cb7938d525a2f31aaf161d0');
    assert.equal(await md5Of('1234567890'.repeat(8)), '57edf4a22be3c955ac49da2e2107b67a');
  });

  it('hashes bytes, split updates and UTF-8 text alike, and starts over after reset', async () => {
    const text = 'ECS événement ✓ 事件';
    const bytes = new TextEncoder().encode(text);
    const expected = createHash('md5').update(Buffer.from(bytes)).digest('hex');
    assert.equal(await md5Of(bytes), expected);
    assert.equal(await md5Of(bytes.subarray(0, 5), bytes.subarray(5)), expected);
    const h = new NativeMd5();
    h.update('something else');
    h.reset();
    h.update(bytes);
    assert.equal(hex(await h.digest()), expected);
  });
});

describe('SQS client message integrity', () => {
  let server: Server;
  let endpoint = '';
  let md5OfBody = '';
  before(async () => {
    // Answers every ReceiveMessage with one message whose MD5OfBody is whatever the test sets.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(
          JSON.stringify({
            Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'hello ✓', MD5OfBody: md5OfBody }],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('still rejects a received body whose MD5 does not match, and accepts a matching one', async () => {
    const sqs = createSqsClient(
      {
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 1,
      },
      0,
    );
    try {
      const receive = () =>
        sqs.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, WaitTimeSeconds: 0 }));
      md5OfBody = '00000000000000000000000000000000';
      await assert.rejects(receive(), /MD5|md5|checksum/i);
      md5OfBody = createHash('md5').update('hello ✓', 'utf8').digest('hex');
      const out = await receive();
      assert.equal(out.Messages?.[0]?.Body, 'hello ✓');
    } finally {
      sqs.destroy();
    }
  });
});

describe('CommandSender against the emulator', () => {
  let aws: LocalAws;
  let sqs: SQSClient;
  let queueUrl = '';
  before(async () => {
    aws = await startLocalAws({ port: 0, queues: ['sender_q'] });
    queueUrl = aws.queueUrl('sender_q');
    sqs = createSqsClient(
      { endpoint: aws.endpoint, region: aws.region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      20,
    );
  });
  after(async () => {
    sqs.destroy();
    await aws.close();
  });

  it('sends, receives and deletes through handlers resolved once per command class', async () => {
    const sender = new CommandSender(sqs);
    for (let i = 0; i < 3; i++)
      await sender.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `body ${i}` }));
    const bodies: string[] = [];
    while (bodies.length < 3) {
      const out = await sender.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = out.Messages ?? [];
      bodies.push(...messages.map((m) => m.Body!));
      if (messages.length > 0) {
        const del = await sender.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
        assert.equal(del.Successful?.length, messages.length);
      }
    }
    assert.deepEqual(bodies.sort(), ['body 0', 'body 1', 'body 2']);
    // the client's own send still works beside a sender
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    assert.equal(empty.Messages, undefined);
  });

  it('aborts a long poll as soon as its signal fires, on every call of that sender', async () => {
    const abort = new AbortController();
    const sender = new CommandSender(sqs, { abortSignal: abort.signal });
    const started = performance.now();
    const polls = [1, 2].map(() =>
      sender.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 })),
    );
    setTimeout(() => abort.abort(), 100);
    for (const p of polls) await assert.rejects(p, (err: Error) => err.name === 'AbortError');
    assert.ok(performance.now() - started < 5_000, 'the 20 s long polls ended with the abort');
  });
});
