import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { md5Hex } from '../../../src/local/sqs/index.js';
import { MinHeap } from '../../../src/local/sqs/min-heap.js';
import { SqsQueue, type StoredMessage } from '../../../src/local/sqs/queue.js';
import { defaultSettings } from '../../../src/local/sqs/queue-attributes.js';

// The queue's logic with a manual clock: every time is passed in, so nothing here waits.
let clock = 1_000_000;
const now = () => clock;

function queue(settings: Partial<ReturnType<typeof defaultSettings>> = {}): SqsQueue {
  return new SqsQueue('q', 'arn:aws:sqs:us-east-1:123456789012:q', clock, now, {
    ...defaultSettings(),
    ...settings,
  });
}

let id = 0;
function send(q: SqsQueue, body: string, delaySeconds = 0): StoredMessage {
  return q.enqueue(
    {
      id: `m${++id}`,
      body,
      md5OfBody: md5Hex(body),
      attributes: undefined,
      md5OfAttributes: undefined,
      systemAttributes: undefined,
      sentAt: clock,
      senderId: '123456789012',
    },
    delaySeconds,
    clock,
  );
}

describe('SqsQueue', () => {
  it('hands out messages in order, hides them for the visibility timeout, then shows them at the back', () => {
    const q = queue();
    for (const body of ['a', 'b', 'c']) send(q, body);
    assert.deepEqual(
      q.receive(2, 30, clock).map((m) => m.body),
      ['a', 'b'],
    );
    assert.deepEqual(q.stats(clock), { visible: 1, notVisible: 2, delayed: 0 });
    clock += 29_999;
    assert.deepEqual(
      q.receive(10, 30, clock).map((m) => m.body),
      ['c'],
    );
    clock += 1;
    const again = q.receive(10, 30, clock);
    assert.deepEqual(
      again.map((m) => [m.body, m.receiveCount]),
      [
        ['a', 2],
        ['b', 2],
      ],
    );
  });

  it('delays messages and counts them as delayed until visible', () => {
    const q = queue();
    send(q, 'later', 10);
    assert.deepEqual(q.stats(clock), { visible: 0, notVisible: 0, delayed: 1 });
    assert.equal(q.receive(1, 30, clock).length, 0);
    clock += 10_000;
    assert.deepEqual(q.stats(clock), { visible: 1, notVisible: 0, delayed: 0 });
    assert.equal(q.receive(1, 30, clock)[0]?.body, 'later');
  });

  it('deletes only with the latest receipt handle; stale handles succeed without effect', () => {
    const q = queue();
    send(q, 'x');
    const first = q.receiptHandle(q.receive(1, 0, clock)[0]!);
    const msg = q.receive(1, 30, clock)[0]!;
    const second = q.receiptHandle(msg);
    assert.notEqual(first, second);
    q.deleteByHandle(first);
    assert.equal(q.stats(clock).notVisible, 1, 'the stale handle did nothing');
    q.deleteByHandle(second);
    assert.deepEqual(q.stats(clock), { visible: 0, notVisible: 0, delayed: 0 });
    q.deleteByHandle(second);
    assert.throws(() => q.deleteByHandle('garbage'), { name: 'ReceiptHandleIsInvalid' });
    const other = queue();
    assert.throws(
      () => other.deleteByHandle(second),
      { name: 'ReceiptHandleIsInvalid' },
      'another queue’s handle',
    );
  });

  it('changes visibility of in-flight messages only', () => {
    const q = queue();
    send(q, 'x');
    const handle = q.receiptHandle(q.receive(1, 300, clock)[0]!);
    q.changeVisibility(handle, 0, clock);
    assert.equal(q.stats(clock).visible, 1);
    assert.throws(() => q.changeVisibility(handle, 10, clock), { name: 'MessageNotInflight' });
    const next = q.receiptHandle(q.receive(1, 300, clock)[0]!);
    q.changeVisibility(next, 5, clock);
    clock += 5_000;
    assert.equal(q.stats(clock).visible, 1, 'visible again after the new 5 s');
    assert.throws(() => q.changeVisibility(next, 5, clock), { name: 'MessageNotInflight' });
  });

  it('drops messages older than the retention period', () => {
    const q = queue({ MessageRetentionPeriod: 60 });
    send(q, 'old');
    clock += 60_000;
    send(q, 'new');
    assert.deepEqual(
      q.receive(10, 30, clock).map((m) => m.body),
      ['new'],
    );
  });

  it('offers a message to the dead-letter move once it was received maxReceiveCount times', () => {
    const q = queue({
      RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq', maxReceiveCount: 2 },
    });
    send(q, 'poison');
    const moved: string[] = [];
    const move = (m: StoredMessage) => (moved.push(m.body), true);
    assert.equal(q.receive(1, 0, clock, move).length, 1);
    assert.equal(q.receive(1, 0, clock, move).length, 1);
    assert.equal(q.receive(1, 0, clock, move).length, 0);
    assert.deepEqual(moved, ['poison']);
    assert.deepEqual(q.stats(clock), { visible: 0, notVisible: 0, delayed: 0 });
  });

  it('keeps its bookkeeping exact through many receive/delete cycles (stale heap entries are dropped)', () => {
    const q = queue();
    for (let i = 0; i < 20_000; i++) send(q, `b${i}`);
    let received = 0;
    for (;;) {
      const batch = q.receive(10, 30, clock);
      if (batch.length === 0) break;
      received += batch.length;
      for (const m of batch) q.deleteByHandle(q.receiptHandle(m));
    }
    assert.equal(received, 20_000);
    assert.deepEqual(q.stats(clock), { visible: 0, notVisible: 0, delayed: 0 });
    assert.equal(q.allMessages().length, 0);
  });

  it('purges everything', () => {
    const q = queue();
    send(q, 'a');
    send(q, 'b', 5);
    q.receive(1, 30, clock);
    send(q, 'c');
    q.purge();
    assert.deepEqual(q.stats(clock + 10_000), { visible: 0, notVisible: 0, delayed: 0 });
  });
});

describe('MinHeap', () => {
  it('pops in order and retains a filtered heap', () => {
    const heap = new MinHeap<{ at: number }>();
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const at of values) heap.push({ at });
    heap.retain((e) => e.at % 2 === 0);
    const out: number[] = [];
    for (let e = heap.pop(); e; e = heap.pop()) out.push(e.at);
    assert.deepEqual(
      out,
      values.filter((v) => v % 2 === 0).sort((a, b) => a - b),
    );
  });
});
