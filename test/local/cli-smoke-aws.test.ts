import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startLocalAws, type LocalAws } from '../../src/local/index.js';
import { tempDir } from '../support/env.js';

// Debian's aws-cli v2 (2.9) speaks the SQS query protocol (form-encoded, XML replies). A pip
// awscli v1 may come first on PATH, so the binary is named by path. aws-cli before 2.13 ignores
// AWS_ENDPOINT_URL, so --endpoint-url is passed as well (docs/local-aws.md says the same).
const AWS = '/usr/bin/aws';
const skip = existsSync(AWS) ? false : `${AWS} is not installed (scripts/install-test-deps.sh installs it)`;

describe('aws-cli v2 (query protocol) against startLocalAws', { skip, concurrency: true }, () => {
  let local: LocalAws;
  let home: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    local = await startLocalAws({ port: 0 });
    home = await tempDir('blox-awscli-');
  });
  after(async () => {
    await local?.close();
    await home?.cleanup();
  });

  async function aws(...args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await promisify(execFile)(
      AWS,
      [...args, '--endpoint-url', local.endpoint, '--output', 'json'],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home.path,
          AWS_ENDPOINT_URL: local.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_PAGER: '',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  }

  it('creates a queue, sends, receives (MD5 checked by the CLI), reads attributes and deletes', async () => {
    const created = await aws(
      'sqs',
      'create-queue',
      '--queue-name',
      'smoke',
      '--attributes',
      'VisibilityTimeout=45',
    );
    const url = created.QueueUrl as string;
    assert.equal(url, `${local.endpoint}/123456789012/smoke`);
    const body = 'hello <xml> & "quotes" — ünïcode\r\nline two';
    const sent = await aws(
      'sqs',
      'send-message',
      '--queue-url',
      url,
      '--message-body',
      body,
      '--message-attributes',
      '{"kind":{"DataType":"String","StringValue":"smoke"},"n":{"DataType":"Number","StringValue":"7"}}',
    );
    assert.match(sent.MessageId as string, /^[0-9a-f-]{36}$/);
    const got = await aws(
      'sqs',
      'receive-message',
      '--queue-url',
      url,
      '--attribute-names',
      'All',
      '--message-attribute-names',
      'All',
      '--max-number-of-messages',
      '10',
    );
    const messages = got.Messages as Array<Record<string, unknown>>;
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.Body, body);
    assert.equal(messages[0]!.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal((messages[0]!.Attributes as Record<string, string>).ApproximateReceiveCount, '1');
    assert.equal(
      (messages[0]!.MessageAttributes as Record<string, { StringValue: string }>).kind?.StringValue,
      'smoke',
    );
    const attrs = await aws('sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'All');
    const a = attrs.Attributes as Record<string, string>;
    assert.equal(a.VisibilityTimeout, '45');
    assert.equal(a.ApproximateNumberOfMessagesNotVisible, '1');
    await aws(
      'sqs',
      'delete-message',
      '--queue-url',
      url,
      '--receipt-handle',
      messages[0]!.ReceiptHandle as string,
    );
    assert.equal(local.sqs.getQueue('smoke')!.stats(Date.now()).notVisible, 0, 'the message is gone');
  });

  it('typed errors come back in SQS XML with the legacy code', async () => {
    await assert.rejects(
      aws('sqs', 'get-queue-url', '--queue-name', 'does-not-exist'),
      (err: Error & { stderr?: string }) =>
        /AWS\.SimpleQueueService\.NonExistentQueue/.test(err.stderr ?? ''),
    );
  });

  it('answers ECS calls on the same endpoint', async () => {
    const created = await aws('ecs', 'create-cluster', '--cluster-name', 'smoke-cluster');
    assert.equal(
      (created.cluster as { clusterArn: string }).clusterArn,
      'arn:aws:ecs:us-east-1:123456789012:cluster/smoke-cluster',
    );
  });
});
