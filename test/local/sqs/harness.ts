import { SQSClient } from '@aws-sdk/client-sqs';
import { createEmulatorHttpServer } from '../../../src/local/http/server.js';
import { createSqsHandler, SqsEmulator } from '../../../src/local/sqs/index.js';

/** An SQS emulator on a free loopback port and an SDK client pointed at it. */
export async function startSqs(): Promise<{
  sqs: SqsEmulator;
  client: SQSClient;
  endpoint: string;
  close: () => Promise<void>;
}> {
  const sqs = new SqsEmulator();
  const server = createEmulatorHttpServer([createSqsHandler(sqs)]);
  const { port } = await server.listen(0, '127.0.0.1');
  const endpoint = `http://127.0.0.1:${port}`;
  sqs.defaultHost = `127.0.0.1:${port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    sqs,
    client,
    endpoint,
    async close() {
      client.destroy();
      sqs.close();
      await server.close();
    },
  };
}

/** The exception an SDK call raises (fails the test if it succeeds). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
