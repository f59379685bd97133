import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startSqs } from './harness.js';

describe('SQS query protocol (form-encoded requests, XML replies)', () => {
  let env: Awaited<ReturnType<typeof startSqs>>;
  before(async () => {
    env = await startSqs();
  });
  after(() => env.close());

  async function query(params: Record<string, string>, path = '/'): Promise<{ status: number; xml: string }> {
    const res = await fetch(`${env.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
    });
    assert.equal(res.headers.get('content-type'), 'text/xml');
    return { status: res.status, xml: await res.text() };
  }
  const tag = (xml: string, name: string) =>
    [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

  it('CreateQueue with attributes and tags answers the SQS XML document', async () => {
    const { status, xml } = await query({
      Action: 'CreateQueue',
      QueueName: 'qp',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '12',
      'Tag.1.Key': 'team',
      'Tag.1.Value': 'blox',
    });
    assert.equal(status, 200);
    assert.match(
      xml,
      /^<\?xml version="1.0"\?><CreateQueueResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><CreateQueueResult><QueueUrl>http:\/\/127.0.0.1:\d+\/123456789012\/qp<\/QueueUrl><\/CreateQueueResult><ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/CreateQueueResponse>$/,
    );
    assert.equal(env.sqs.getQueue('qp')!.settings.VisibilityTimeout, 12);
    assert.deepEqual(env.sqs.getQueue('qp')!.tags, { team: 'blox' });
  });

  it('SendMessageBatch, ReceiveMessage and DeleteMessageBatch round-trip with attributes and escaping', async () => {
    const url = env.sqs.queueUrl('qp');
    const body = 'a < b & "c"\r\n';
    const sent = await query({
      Action: 'SendMessageBatch',
      QueueUrl: url,
      'SendMessageBatchRequestEntry.1.Id': 'one',
      'SendMessageBatchRequestEntry.1.MessageBody': body,
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'kind',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'k',
      'SendMessageBatchRequestEntry.2.Id': 'two',
      'SendMessageBatchRequestEntry.2.MessageBody': '',
    });
    assert.equal(sent.status, 200);
    assert.match(sent.xml, /<SendMessageBatchResult><SendMessageBatchResultEntry><Id>one<\/Id><MessageId>/);
    assert.deepEqual(tag(sent.xml, 'MD5OfMessageBody'), [createHash('md5').update(body).digest('hex')]);
    assert.match(
      sent.xml,
      /<BatchResultErrorEntry><Id>two<\/Id><SenderFault>true<\/SenderFault><Code>InvalidParameterValue<\/Code>/,
    );

    const got = await query({
      Action: 'ReceiveMessage',
      QueueUrl: url,
      MaxNumberOfMessages: '10',
      'AttributeName.1': 'ApproximateReceiveCount',
      'MessageAttributeName.1': 'All',
    });
    assert.match(got.xml, /<Body>a &lt; b &amp; &quot;c&quot;&#xD;\n<\/Body>/);
    assert.match(got.xml, /<Attribute><Name>ApproximateReceiveCount<\/Name><Value>1<\/Value><\/Attribute>/);
    assert.match(
      got.xml,
      /<MessageAttribute><Name>kind<\/Name><Value><DataType>String<\/DataType><StringValue>k<\/StringValue><\/Value><\/MessageAttribute>/,
    );
    const handle = tag(got.xml, 'ReceiptHandle')[0]!;
    const deleted = await query({
      Action: 'DeleteMessageBatch',
      QueueUrl: url,
      'DeleteMessageBatchRequestEntry.1.Id': 'x',
      'DeleteMessageBatchRequestEntry.1.ReceiptHandle': handle,
    });
    assert.match(
      deleted.xml,
      /<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>x<\/Id><\/DeleteMessageBatchResultEntry><\/DeleteMessageBatchResult>/,
    );
    assert.equal(env.sqs.getQueue('qp')!.stats(Date.now()).notVisible, 0);
  });

  it('takes the queue from the request path when QueueUrl is absent', async () => {
    const sent = await query({ Action: 'SendMessage', MessageBody: 'by path' }, '/123456789012/qp');
    assert.equal(sent.status, 200);
    const attrs = await query(
      { Action: 'GetQueueAttributes', 'AttributeName.1': 'ApproximateNumberOfMessages' },
      '/123456789012/qp',
    );
    assert.match(
      attrs.xml,
      /<Attribute><Name>ApproximateNumberOfMessages<\/Name><Value>1<\/Value><\/Attribute>/,
    );
  });

  it('JSON 1.0 requests may also be POSTed to the queue path', async () => {
    const res = await fetch(`${env.endpoint}/123456789012/qp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.GetQueueAttributes',
      },
      body: JSON.stringify({ AttributeNames: ['QueueArn'] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:123456789012:qp' } });
  });

  it('errors are <ErrorResponse> documents with the legacy code and the right status', async () => {
    const missing = await query({ Action: 'GetQueueUrl', QueueName: 'nope' });
    assert.equal(missing.status, 400);
    assert.match(
      missing.xml,
      /^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>[^<]+<\/Message><Detail\/><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/,
    );
    const handle = await query({
      Action: 'DeleteMessage',
      QueueUrl: env.sqs.queueUrl('qp'),
      ReceiptHandle: 'junk',
    });
    assert.equal(handle.status, 404);
    assert.deepEqual(tag(handle.xml, 'Code'), ['ReceiptHandleIsInvalid']);
    const empty = await query({ Action: 'DeleteMessageBatch', QueueUrl: env.sqs.queueUrl('qp') });
    assert.deepEqual(tag(empty.xml, 'Code'), ['AWS.SimpleQueueService.EmptyBatchRequest']);
    const unknown = await query({ Action: 'FlyToTheMoon' });
    assert.deepEqual(tag(unknown.xml, 'Code'), ['InvalidAction']);
    const noParam = await query({ Action: 'CreateQueue' });
    assert.deepEqual(tag(noParam.xml, 'Code'), ['MissingParameter']);
  });

  it('leaves requests of other query APIs (another Version) to other handlers', async () => {
    const res = await fetch(env.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    assert.equal(res.status, 404);
    await res.text();
  });
});
