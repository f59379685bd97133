import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../src/aws/clients.js';
import {
  checkBodies,
  errorNameOf,
  isRetryableSqsError,
  parseSqsError,
  SqsChecksumError,
  SqsServiceError,
  sqsTransportFor,
} from '../../src/aws/sqs-transport.js';
import { NativeSha256 } from '../../src/aws/sha256.js';
import { startLocalAws, type LocalAws } from '../../src/local/index.js';
import { scriptedServer, type ScriptedServer } from './support/scripted-server.js';
import { sigV4 as sigV4Of } from './support/sigv4.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

const sigV4 = (headers: IncomingHttpHeaders, body: string) =>
  sigV4Of(headers, body, {
    secretAccessKey: CREDENTIALS.secretAccessKey,
    region: 'us-east-1',
    service: 'sqs',
  });

/** A loopback server whose answer each test sets; records every request it got. */
type FakeSqs = ScriptedServer;
const fakeSqs = () => scriptedServer('application/x-amz-json-1.0');

function clientFor(
  endpoint: string | undefined,
  extra: { requestTimeoutMs?: number; maxAttempts?: number } = {},
) {
  return createSqsClient(
    { ...(endpoint ? { endpoint } : {}), region: 'us-east-1', credentials: CREDENTIALS, ...extra },
    20,
  );
}

describe('SqsTransport against the emulator (same answers as the AWS SDK)', () => {
  let aws: LocalAws;
  let sqs: SQSClient;
  let queueUrl = '';
  before(async () => {
    aws = await startLocalAws({ port: 0, queues: ['transport_q'] });
    queueUrl = aws.queueUrl('transport_q');
    sqs = clientFor(aws.endpoint);
  });
  after(async () => {
    sqs.destroy();
    await aws.close();
  });

  it('receives the messages the SDK receives and deletes them by batch', async () => {
    const bodies = ['one', 'deux ✓', '{"json":true}', 'x'.repeat(3000), '事件'];
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
      }),
    );
    // The SDK receives them without hiding them (visibility 0), then the transport receives the same ones.
    const input = {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount' as const],
    };
    const bySdk =
      (await sqs.send(new ReceiveMessageCommand({ ...input, VisibilityTimeout: 0 }))).Messages ?? [];
    const transport = sqsTransportFor(sqs);
    const byTransport = (await transport.receiveMessage({ ...input, VisibilityTimeout: 30 })).Messages ?? [];
    const comparable = (ms: Message[]) =>
      ms
        .map((m) => ({ id: m.MessageId, body: m.Body, md5: m.MD5OfBody }))
        .sort((a, b) => (a.id! < b.id! ? -1 : 1));
    assert.equal(bySdk.length, bodies.length);
    assert.deepEqual(comparable(byTransport), comparable(bySdk));
    for (const m of byTransport) {
      const seen = bySdk.find((s) => s.MessageId === m.MessageId)!;
      assert.equal(
        Number(m.Attributes?.ApproximateReceiveCount),
        Number(seen.Attributes?.ApproximateReceiveCount) + 1,
      );
    }

    // A batch delete with one bad handle answers like the SDK: the good ones succeed, the bad one fails.
    const entries = byTransport.map((m, i) => ({ Id: `e${i}`, ReceiptHandle: m.ReceiptHandle! }));
    const del = await transport.deleteMessageBatch({
      QueueUrl: queueUrl,
      Entries: [...entries, { Id: 'bad', ReceiptHandle: 'not-a-handle' }],
    });
    const sdkBad = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'bad', ReceiptHandle: 'not-a-handle' }],
      }),
    );
    assert.deepEqual(del.Successful?.map((s) => s.Id).sort(), entries.map((e) => e.Id).sort());
    assert.deepEqual(del.Failed, sdkBad.Failed);
    const left = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
    );
    assert.equal(left.Messages, undefined, 'every message was deleted');
  });

  it('raises AWS errors under the names the SDK gives them', async () => {
    const transport = sqsTransportFor(sqs);
    const missingQueue = `${aws.endpoint}/${aws.account}/no_such_queue`;
    const sdkError = await sqs
      .send(new ReceiveMessageCommand({ QueueUrl: missingQueue, WaitTimeSeconds: 0 }))
      .then(
        () => assert.fail('the SDK call should fail'),
        (e: Error & { $metadata: object }) => e,
      );
    await assert.rejects(transport.receiveMessage({ QueueUrl: missingQueue, WaitTimeSeconds: 0 }), (err) => {
      assert.ok(err instanceof SqsServiceError);
      assert.equal(err.name, 'QueueDoesNotExist');
      assert.equal(err.name, sdkError.name);
      assert.equal(
        err.$metadata.httpStatusCode,
        (sdkError.$metadata as { httpStatusCode: number }).httpStatusCode,
      );
      assert.equal(err.Code, 'AWS.SimpleQueueService.NonExistentQueue');
      return true;
    });

    // A request without its required Entries: the same name and message as through the SDK.
    const sdkMissing = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl } as never)).then(
      () => assert.fail('the SDK call should fail'),
      (e: Error) => e,
    );
    await assert.rejects(
      transport.deleteMessageBatch({ QueueUrl: queueUrl } as never),
      (err: Error) => err.name === sdkMissing.name && err.message === sdkMissing.message,
    );
  });

  it('ends a long poll as soon as its signal aborts', async () => {
    const transport = sqsTransportFor(sqs);
    const abort = new AbortController();
    const started = performance.now();
    const poll = transport.receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }, abort.signal);
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(poll, (err: Error) => err.name === 'AbortError');
    assert.ok(performance.now() - started < 5_000, 'the 20 s long poll ended with the abort');
    // an already aborted signal fails at once, without a request
    await assert.rejects(
      transport.receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }, AbortSignal.abort()),
      (err: Error) => err.name === 'AbortError',
    );
  });
});

describe('SqsTransport against a loopback server', () => {
  let fake: FakeSqs;
  before(async () => {
    fake = await fakeSqs();
  });
  after(() => fake.close());

  it('signs with SigV4 from the client’s credentials and region, in AWS JSON 1.0', async () => {
    fake.requests = [];
    fake.answer = () => ({ status: 200, body: '{}' });
    const sqs = clientFor(fake.endpoint);
    try {
      const queueUrl = `${fake.endpoint}/000000000000/q`;
      await sqsTransportFor(sqs).receiveMessage({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      });
      const { headers, body } = fake.requests[0]!;
      assert.equal(headers['x-amz-target'], 'AmazonSQS.ReceiveMessage');
      assert.equal(headers['content-type'], 'application/x-amz-json-1.0');
      assert.equal(headers['x-amzn-query-mode'], 'true');
      assert.match(headers['x-amz-date'] as string, /^\d{8}T\d{6}Z$/);
      const date = (headers['x-amz-date'] as string).slice(0, 8);
      const auth = headers.authorization as string;
      assert.match(
        auth,
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date}/us-east-1/sqs/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
        ),
      );
      for (const h of ['content-type', 'host', 'x-amz-date', 'x-amz-target'])
        assert.ok(auth.includes(h), `${h} is signed`);
      assert.deepEqual(JSON.parse(body), { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
      assert.equal(/Signature=([0-9a-f]+)/.exec(auth)![1], sigV4(headers, body), 'the signature is valid');

      // identical receives within one second share a signature (reused); any other request is signed anew
      for (let tries = 0; tries < 5; tries++) {
        fake.requests = [];
        const input = { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 };
        await sqsTransportFor(sqs).receiveMessage(input);
        await sqsTransportFor(sqs).receiveMessage(input);
        await sqsTransportFor(sqs).receiveMessage({ ...input, MaxNumberOfMessages: 9 });
        const [a, b, c] = fake.requests;
        if (a!.headers['x-amz-date'] !== c!.headers['x-amz-date']) continue; // crossed a second: again
        assert.equal(a!.headers.authorization, b!.headers.authorization);
        assert.notEqual(a!.headers.authorization, c!.headers.authorization);
        for (const r of fake.requests)
          assert.equal(/Signature=([0-9a-f]+)/.exec(r.headers.authorization!)![1], sigV4(r.headers, r.body));
        break;
      }
    } finally {
      sqs.destroy();
    }
  });

  it('sends to the QueueUrl’s origin when the client has no endpoint configured, as the SDK does', async () => {
    fake.requests = [];
    const sqs = clientFor(undefined);
    try {
      await sqsTransportFor(sqs).deleteMessageBatch({
        QueueUrl: `${fake.endpoint}/000000000000/q`,
        Entries: [{ Id: '0', ReceiptHandle: 'r' }],
      });
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0]!.headers.host, new URL(fake.endpoint).host);
    } finally {
      sqs.destroy();
    }
  });

  it('rejects a received body whose MD5 does not match and accepts a matching one', async () => {
    let md5OfBody = '';
    fake.answer = () => ({
      status: 200,
      body: JSON.stringify({
        Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'hello ✓', MD5OfBody: md5OfBody }],
      }),
    });
    const sqs = clientFor(fake.endpoint, { maxAttempts: 1 });
    try {
      const receive = () =>
        sqsTransportFor(sqs).receiveMessage({
          QueueUrl: `${fake.endpoint}/000000000000/q`,
          WaitTimeSeconds: 0,
        });
      md5OfBody = '00000000000000000000000000000000';
      await assert.rejects(receive(), (err) => err instanceof SqsChecksumError && /m1/.test(err.message));
      md5OfBody = md5('hello ✓');
      assert.equal((await receive()).Messages?.[0]?.Body, 'hello ✓');
    } finally {
      sqs.destroy();
    }
  });

  it('fails a call to a server that never answers after the request timeout (plus its long poll)', async () => {
    fake.requests = [];
    fake.answer = () => undefined;
    const sqs = clientFor(fake.endpoint, { requestTimeoutMs: 200, maxAttempts: 1 });
    try {
      const started = performance.now();
      await assert.rejects(
        sqsTransportFor(sqs).receiveMessage({
          QueueUrl: `${fake.endpoint}/000000000000/q`,
          WaitTimeSeconds: 1,
        }),
        (err: Error) => err.name === 'TimeoutError',
      );
      const took = performance.now() - started;
      assert.ok(
        took >= 1_150 && took < 4_000,
        `failed after ${Math.round(took)} ms (200 ms + 1 s long poll)`,
      );
    } finally {
      sqs.destroy();
    }
  });

  it('retries a connection closed before the answer, and one refused, up to maxAttempts', async () => {
    const sqs = clientFor(fake.endpoint, { maxAttempts: 3 });
    const queueUrl = `${fake.endpoint}/000000000000/q`;
    try {
      fake.requests = [];
      fake.answer = (n) => (n === 1 ? 'close' : { status: 200, body: JSON.stringify({ Messages: [] }) });
      const out = await sqsTransportFor(sqs).receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 0 });
      assert.deepEqual(out.Messages ?? [], []);
      assert.equal(fake.requests.length, 2, 'the closed connection was retried once');

      fake.requests = [];
      fake.answer = () => 'close';
      await assert.rejects(
        sqsTransportFor(sqs).receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
        (err: Error & { code?: string }) => err.code === 'ECONNRESET',
      );
      assert.equal(fake.requests.length, 3, 'gave up after maxAttempts');
    } finally {
      sqs.destroy();
    }
    // Nothing listens on a port just freed: every attempt is refused.
    const closed = await scriptedServer('application/x-amz-json-1.0');
    await closed.close();
    const refused = clientFor(closed.endpoint, { maxAttempts: 2 });
    try {
      await assert.rejects(
        sqsTransportFor(refused).receiveMessage({
          QueueUrl: `${closed.endpoint}/000000000000/q`,
          WaitTimeSeconds: 0,
        }),
        (err: Error & { code?: string }) => err.code === 'ECONNREFUSED',
      );
    } finally {
      refused.destroy();
    }
  });

  it('retries 5xx and throttling with backoff, up to maxAttempts, and never a client error', async () => {
    const sqs = clientFor(fake.endpoint, { maxAttempts: 3 });
    const transport = sqsTransportFor(sqs);
    const queueUrl = `${fake.endpoint}/000000000000/q`;
    try {
      fake.requests = [];
      fake.answer = (n) =>
        n === 1
          ? { status: 503, body: 'Service Unavailable' }
          : n === 2
            ? {
                status: 400,
                headers: { 'x-amzn-query-error': 'RequestThrottled;Sender' },
                body: JSON.stringify({ __type: 'com.amazonaws.sqs#RequestThrottled', message: 'slow down' }),
              }
            : { status: 200, body: JSON.stringify({ Successful: [{ Id: '0' }], Failed: [] }) };
      const out = await transport.deleteMessageBatch({
        QueueUrl: queueUrl,
        Entries: [{ Id: '0', ReceiptHandle: 'r' }],
      });
      assert.deepEqual(out.Successful, [{ Id: '0' }]);
      assert.equal(fake.requests.length, 3);

      fake.requests = [];
      fake.answer = () => ({
        status: 500,
        body: JSON.stringify({ __type: 'InternalError', message: 'boom' }),
      });
      await assert.rejects(
        transport.receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
        (err: Error) => err.name === 'InternalError',
      );
      assert.equal(fake.requests.length, 3, 'gave up after maxAttempts');

      fake.requests = [];
      fake.answer = () => ({
        status: 403,
        body: JSON.stringify({ __type: 'com.amazonaws.sqs#AccessDenied', message: 'no' }),
      });
      await assert.rejects(
        transport.receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
        (err: Error) => err.name === 'AccessDenied',
      );
      assert.equal(fake.requests.length, 1, 'a client error is not retried');
    } finally {
      sqs.destroy();
    }
  });
});

describe('SqsTransport clock skew', () => {
  it('re-signs with the server’s time after a signature refused for a skewed clock, as the SDK does', async () => {
    const fake = await fakeSqs();
    const sqs = clientFor(fake.endpoint, { maxAttempts: 2 });
    const hourAhead = new Date(Date.now() + 3_600_000);
    try {
      fake.answer = (n) =>
        n === 1
          ? {
              status: 400,
              headers: { date: hourAhead.toUTCString() },
              body: JSON.stringify({ __type: 'RequestTimeTooSkewed', message: 'too skewed' }),
            }
          : { status: 200, body: '{}' };
      await sqsTransportFor(sqs).receiveMessage({
        QueueUrl: `${fake.endpoint}/000000000000/q`,
        WaitTimeSeconds: 0,
      });
      assert.equal(fake.requests.length, 2, 'retried once');
      const signedAt = (r: { headers: IncomingHttpHeaders }) => {
        const d = r.headers['x-amz-date'] as string;
        return Date.parse(
          `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 11)}:${d.slice(11, 13)}:${d.slice(13)}`,
        );
      };
      const skew = signedAt(fake.requests[1]!) - signedAt(fake.requests[0]!);
      assert.ok(Math.abs(skew - 3_600_000) < 5_000, `second request signed ${skew} ms later`);
      const offset = (sqs.config as unknown as { systemClockOffset: number }).systemClockOffset;
      assert.ok(Math.abs(offset - 3_600_000) < 5_000, 'the offset is kept in the client config');

      // a refused signature without a skew (clock right) is not retried
      fake.requests = [];
      fake.answer = () => ({
        status: 403,
        headers: { date: new Date(Date.now() + offset).toUTCString() },
        body: JSON.stringify({ __type: 'SignatureDoesNotMatch', message: 'bad key' }),
      });
      await assert.rejects(
        sqsTransportFor(sqs).receiveMessage({
          QueueUrl: `${fake.endpoint}/000000000000/q`,
          WaitTimeSeconds: 0,
        }),
        (err: Error) => err.name === 'SignatureDoesNotMatch',
      );
      assert.equal(fake.requests.length, 1);
    } finally {
      sqs.destroy();
      await fake.close();
    }
  });
});

describe('NativeSha256 (the SigV4 signer’s hash)', () => {
  const hex = async (h: NativeSha256) => Buffer.from(await h.digest()).toString('hex');
  it('gives the FIPS 180-2 and RFC 4231 digests, in one or several updates, and again after reset', async () => {
    const h = new NativeSha256();
    h.update('abc');
    assert.equal(await hex(h), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    h.reset();
    h.update(new TextEncoder().encode('abcdbcdecdefdefgefghfghighij'));
    h.update('hijkijkljklmklmnlmnomnopnopq');
    assert.equal(await hex(h), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    const mac = new NativeSha256(new Uint8Array(20).fill(0x0b));
    mac.update('Hi There');
    assert.equal(await hex(mac), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    const jefe = new NativeSha256('Jefe');
    jefe.update('what do ya want ');
    jefe.update('for nothing?');
    assert.equal(await hex(jefe), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('SQS error parsing (pure)', () => {
  it('names errors as the SDK does, from __type, code or x-amzn-errortype', () => {
    assert.equal(errorNameOf('com.amazonaws.sqs#QueueDoesNotExist'), 'QueueDoesNotExist');
    assert.equal(errorNameOf('AccessDenied:http://internal.amazon.com/coral/'), 'AccessDenied');
    assert.equal(errorNameOf('OverLimit'), 'OverLimit');
    assert.equal(errorNameOf(''), undefined);
    assert.equal(errorNameOf(undefined), undefined);

    const e = parseSqsError(
      400,
      { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender', 'x-amzn-requestid': 'req-1' },
      '{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}',
    );
    assert.equal(e.name, 'QueueDoesNotExist');
    assert.equal(e.message, 'The specified queue does not exist.');
    assert.equal(e.Code, 'AWS.SimpleQueueService.NonExistentQueue');
    assert.equal(e.$fault, 'client');
    assert.deepEqual(e.$metadata, { httpStatusCode: 400, requestId: 'req-1' });

    assert.equal(
      parseSqsError(400, { 'x-amzn-errortype': 'InvalidAddress:http://x/' }, '').name,
      'InvalidAddress',
    );
    assert.equal(parseSqsError(400, {}, '{"code":"KmsThrottled","Message":"m"}').message, 'm');
    const html = parseSqsError(502, {}, '<html>bad gateway</html>');
    assert.equal(html.name, 'InternalFailure');
    assert.equal(html.$fault, 'server');
    assert.match(html.message, /HTTP 502/);
    assert.equal(parseSqsError(404, {}, 'null').name, 'UnknownError');
  });

  it('retries what the SDK’s standard strategy retries', () => {
    assert.equal(isRetryableSqsError(parseSqsError(503, {}, '')), true);
    assert.equal(isRetryableSqsError(parseSqsError(400, {}, '{"__type":"RequestThrottled"}')), true);
    assert.equal(isRetryableSqsError(parseSqsError(400, {}, '{"__type":"QueueDoesNotExist"}')), false);
    assert.equal(isRetryableSqsError(Object.assign(new Error('t'), { name: 'TimeoutError' })), true);
    assert.equal(isRetryableSqsError(Object.assign(new Error('r'), { code: 'ECONNRESET' })), true);
    assert.equal(isRetryableSqsError(Object.assign(new Error('a'), { name: 'AbortError' })), false);
    assert.equal(isRetryableSqsError(new SqsChecksumError(['m'])), false);
  });

  it('checks every body against its MD5OfBody', () => {
    checkBodies([{ MessageId: 'a', Body: 'x', MD5OfBody: md5('x') }, { MessageId: 'b' }]);
    assert.throws(
      () =>
        checkBodies([
          { MessageId: 'a', Body: 'x', MD5OfBody: md5('x') },
          { MessageId: 'b', Body: 'y', MD5OfBody: md5('x') },
          { MessageId: 'c', Body: 'é', MD5OfBody: createHash('md5').update('é', 'latin1').digest('hex') },
        ]),
      (err: Error) => err instanceof SqsChecksumError && err.message.endsWith('b, c'),
    );
  });
});
