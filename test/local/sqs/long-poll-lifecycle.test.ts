import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalAws } from '../../../src/local/index.js';
import { waitFor } from '../../support/env.js';
import { startSqs } from './harness.js';

/** A 20 s long poll sent as raw JSON 1.0, abortable. */
function longPoll(endpoint: string, queueUrl: string, signal: AbortSignal): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
    body: JSON.stringify({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }),
    signal,
  });
}

describe('long polls end with their client and with the server', () => {
  it('a client that disconnects ends its long poll at once', async () => {
    const local = await startLocalAws({ port: 0 });
    try {
      const controller = new AbortController();
      const poll = longPoll(local.endpoint, local.queueUrl('blox_queue'), controller.signal).catch(
        (err: Error) => err,
      );
      await waitFor('the poll to wait on the server', () => local.sqs.pendingPolls === 1);
      controller.abort();
      assert.equal(((await poll) as Error).name, 'AbortError');
      await waitFor('the server to drop the poll', () => local.sqs.pendingPolls === 0, { timeoutMs: 3000 });
    } finally {
      await local.close();
    }
  });

  it('the request signal of the bare HTTP server ends a long poll whose client disconnects (query protocol too)', async () => {
    const { sqs, endpoint, close } = await startSqs();
    try {
      sqs.createQueue('q');
      const json = new AbortController();
      const jsonPoll = longPoll(endpoint, sqs.queueUrl('q'), json.signal).catch((err: Error) => err);
      const query = new AbortController();
      const queryPoll = fetch(`${endpoint}/123456789012/q`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=ReceiveMessage&Version=2012-11-05&WaitTimeSeconds=20',
        signal: query.signal,
      }).catch((err: Error) => err);
      await waitFor('both polls to wait on the server', () => sqs.pendingPolls === 2);
      json.abort();
      assert.equal(((await jsonPoll) as Error).name, 'AbortError');
      await waitFor('the server to drop the JSON poll', () => sqs.pendingPolls === 1, { timeoutMs: 3000 });
      query.abort();
      assert.equal(((await queryPoll) as Error).name, 'AbortError');
      await waitFor('the server to drop the query poll', () => sqs.pendingPolls === 0, { timeoutMs: 3000 });
    } finally {
      await close();
    }
  });

  it('deleting the queue ends its pending long polls', async () => {
    const local = await startLocalAws({ port: 0 });
    try {
      const poll = longPoll(local.endpoint, local.queueUrl('blox_queue'), AbortSignal.timeout(15_000));
      await waitFor('the poll to wait on the server', () => local.sqs.pendingPolls === 1);
      await local.sqs.call('DeleteQueue', { QueueUrl: local.queueUrl('blox_queue') });
      const res = await poll;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {});
      assert.equal(local.sqs.pendingPolls, 0);
    } finally {
      await local.close();
    }
  });

  it('closing the emulator ends pending long polls instead of waiting 20 s', async () => {
    const local = await startLocalAws({ port: 0 });
    const client = new SQSClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const poll = client
      .send(new ReceiveMessageCommand({ QueueUrl: local.queueUrl('blox_queue'), WaitTimeSeconds: 20 }))
      .then(
        (out) => ({ out }),
        (err: Error) => ({ err }),
      );
    await waitFor('the poll to wait on the server', () => local.sqs.pendingPolls === 1);
    const closed = local.close().then(() => 'closed');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, 5000, 'still open after 5 s')));
    assert.equal(await Promise.race([closed, bound]), 'closed');
    clearTimeout(timer);
    assert.equal(local.sqs.pendingPolls, 0);
    const result = await poll;
    // The poll either got its (empty) answer before the socket closed or saw the socket close.
    assert.ok('out' in result ? result.out.Messages === undefined : result.err instanceof Error);
    client.destroy();
  });
});
