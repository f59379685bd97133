/**
 * The etcd backend on a 3-member cluster: each member in turn (so also the one the client's
 * streams are on) is killed; reads, writes and a watch keep working, and the watch delivers every
 * event exactly once, in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/logger.js';
import { type WatchEvent } from '../../src/store/index.js';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { waitFor } from '../support/env.js';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd.js';

let cluster: EtcdCluster | undefined;
before(async () => {
  cluster = await startEtcdCluster(3);
});
after(async () => {
  await cluster?.stop();
});

describe('etcd store on a 3-member cluster', () => {
  it('survives losing any one member: reads, writes and watches keep working, every event exactly once', async () => {
    const logLines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    });
    const store = new EtcdStore({
      logger: createLogger({ level: 'debug', destination }),
      endpoints: cluster!.endpoints,
      namespace: 'cluster-test/',
      dialTimeoutMs: 1_000,
      requestTimeoutMs: 3_000,
      compaction: { intervalMs: 0 },
    });
    const events: WatchEvent[] = [];
    const errors: Error[] = [];
    let next = 0;
    /** Writes seq/<n> exactly once, retrying (bounded) while the cluster is failing over. */
    const writeNext = async () => {
      const key = `seq/${String(next).padStart(5, '0')}`;
      await waitFor(
        `write ${key}`,
        async () => {
          const res = await store.txn({
            compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
            success: [{ type: 'put', key, value: String(next) }],
          });
          return res.revision > 0;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      next++;
    };
    try {
      const w = await store.watch(
        'seq/',
        { fromRevision: (await store.revision()) + 1 },
        { onEvents: (batch) => events.push(...batch), onError: (err) => errors.push(err) },
      );
      for (let i = 0; i < 20; i++) await writeNext();
      for (const member of cluster!.members) {
        await member.kill();
        for (let i = 0; i < 20; i++) await writeNext();
        const page = await waitFor(
          'a read with a member down',
          () => store.range({ prefix: 'seq/', limit: 5 }),
          {
            timeoutMs: 20_000,
            intervalMs: 100,
          },
        );
        assert.equal(page.count, next);
        await member.restart();
        for (let i = 0; i < 5; i++) await writeNext();
      }
      await waitFor(`all ${next} events`, () => events.length >= next, { timeoutMs: 30_000 });
      assert.deepEqual(errors, []);
      assert.deepEqual(
        events.map((e) => e.value),
        Array.from({ length: next }, (_, i) => String(i)),
        'every event exactly once, in order',
      );
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision > events[i - 1]!.revision);
      // The watch's own member was among the killed ones: its stream broke and resumed.
      assert.ok(
        logLines.some((l) => l.includes('etcd watch resumed')),
        'the watch stream should have been resumed at least once',
      );
      await w.close();
    } finally {
      await store.close();
    }
  });
});
