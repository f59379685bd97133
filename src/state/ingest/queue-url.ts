import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BloxError, errorMessage } from '../../core/errors.js';

/** A queue given as URL is used as is; a name (optionally `sqs://name`, as v0.3 took it) is looked up. */
export async function resolveQueueUrl(sqs: SQSClient, queue: string, what: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  const name = queue.replace(/^sqs:\/\//, '');
  try {
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!out.QueueUrl) throw new Error('GetQueueUrl returned no QueueUrl');
    return out.QueueUrl;
  } catch (err) {
    throw new BloxError(
      'QueueNotFound',
      `the ${what} SQS queue ${JSON.stringify(name)} could not be found (${errorMessage(err)}); check the queue name, the region and the endpoint`,
      { status: 400, cause: err },
    );
  }
}
