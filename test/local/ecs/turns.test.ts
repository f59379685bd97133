import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import { Turns } from '../../../src/local/ecs/turns.js';

/** Bounded: a few hundred event-loop turns at most. */
async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await nextImmediate();
  assert.ok(ok(), 'condition not reached in 500 turns');
}

const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the first call of a turn runs at once; each further one gets a later turn, in order', async () => {
  const turns = new Turns();
  const ran: string[] = [];
  assert.equal(turns.take(), undefined, 'the first call runs now');
  ran.push('a');
  const b = turns.take();
  const c = turns.take();
  assert.ok(b && c, 'calls arriving in the same turn wait');
  void b.then(() => ran.push('b'));
  void c.then(() => ran.push('c'));
  await Promise.resolve();
  assert.deepEqual(ran, ['a'], 'nobody else runs in the same turn');
  await nextImmediate();
  assert.deepEqual(ran, ['a', 'b'], 'one waiting call per turn');
  await nextImmediate();
  assert.deepEqual(ran, ['a', 'b', 'c']);
});

test('a request of another service that arrives while an ECS call runs is read before the next ECS call', async () => {
  // real I/O: a loopback connection whose data lands while "ecs 2" runs
  const received = new Promise<net.Socket>((resolve) => {
    const server = net.createServer(resolve);
    server.listen(0, '127.0.0.1', () => {
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      void once(client, 'connect').then(() => clients.push(client, server));
    });
  });
  const clients: Array<net.Socket | net.Server> = [];
  const peer = await received;
  await waitUntil(() => clients.length === 2);
  const client = clients[0] as net.Socket;
  try {
    const turns = new Turns();
    const ran: string[] = [];
    peer.on('data', () => ran.push('sqs'));
    turns.take();
    ran.push('ecs 1');
    void turns.take()!.then(() => {
      ran.push('ecs 2');
      client.write('x');
    });
    const third = turns.take()!.then(() => ran.push('ecs 3'));
    await third;
    await waitUntil(() => ran.length === 4);
    assert.deepEqual(ran, ['ecs 1', 'ecs 2', 'sqs', 'ecs 3']);
  } finally {
    client.destroy();
    peer.destroy();
    await new Promise((resolve) => (clients[1] as net.Server).close(resolve));
  }
});

test('once nothing waits, the next call runs at once again', async () => {
  const turns = new Turns();
  assert.equal(turns.take(), undefined);
  const second = turns.take();
  assert.ok(second);
  await second;
  await nextImmediate();
  await nextImmediate();
  assert.equal(turns.take(), undefined, 'the turn was freed');
});
