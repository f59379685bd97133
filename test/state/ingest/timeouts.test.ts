import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../src/aws/clients.js';
import { startIngest } from '../../../src/state/ingest/index.js';
import { waitFor } from '../../support/env.js';
import { sqliteBackend, type Backend } from '../writer/backends.js';

/**
 * Blox v0.3 went stale forever when one connection hung. A server that accepts connections and
 * never answers stands for that: every call must fail within its timeout and the loop go on.
 */
describe('AWS request timeouts', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  let backend: Backend;
  before(async () => {
    backend = await sqliteBackend();
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await backend.close();
  });

  it('a hung connection fails the call after the request timeout instead of blocking forever', async () => {
    const sqs = createSqsClient(
      {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        requestTimeoutMs: 200,
        maxAttempts: 1,
      },
      1,
    );
    try {
      const started = Date.now();
      await assert.rejects(
        sqs.send(new ReceiveMessageCommand({ QueueUrl: `http://127.0.0.1:${port}/1/q`, WaitTimeSeconds: 1 })),
      );
      const took = Date.now() - started;
      assert.ok(took >= 1000 && took < 5000, `failed after ${took} ms (timeout = 200 ms + 1 s long poll)`);

      // the ingest loop records the failure and keeps polling
      const store = await backend.open();
      const ingest = await startIngest(
        { queue: `http://127.0.0.1:${port}/1/q`, pollers: 1, waitTimeSeconds: 1, queueDepthIntervalMs: 0 },
        { store, sqs },
      );
      try {
        await waitFor('a failed receive', () => ingest.status().lastError?.op === 'receive', {
          timeoutMs: 8000,
        });
        assert.equal(ingest.status().running, true);
      } finally {
        await ingest.stop();
      }
    } finally {
      sqs.destroy();
    }
  });
});
