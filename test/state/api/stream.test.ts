import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { startStateService, type StateService } from '../../../src/state/service.js';
import { freePort, tempDir, waitFor } from '../../support/env.js';
import { instance, keyOf, putEntities, task } from './fixtures.js';
import { openStream } from './stream-client.js';
import { errorOfResponse } from '../../support/api-error.js';

interface Harness {
  store: Store;
  service: StateService;
  base: string;
  close(): Promise<void>;
}

async function start(
  options: { changeLogSize?: number; heartbeatMs?: number; maxQueuedLines?: number } = {},
): Promise<Harness> {
  const dir = await tempDir();
  const store = await openStore({ backend: 'sqlite', dataDir: dir.path, compaction: { intervalMs: 0 } });
  const service = await startStateService({
    store,
    changeLogSize: options.changeLogSize,
    streamHeartbeatMs: options.heartbeatMs ?? 0,
    streamMaxQueuedLines: options.maxQueuedLines,
    progressIntervalMs: 50,
  });
  const port = await freePort();
  await service.app!.listen({ port, host: '127.0.0.1' });
  await service.ready;
  return {
    store,
    service,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await service.close();
      await store.close();
      await dir.cleanup();
    },
  };
}

const revisionOf = (line: Record<string, unknown>) =>
  Number((line.metadata as { entityVersion: string }).entityVersion);
const taskIdOf = (line: Record<string, unknown>) =>
  String((line.entity as { taskARN: string }).taskARN)
    .split('/')
    .pop();

describe('state streams (NDJSON and SSE) on SQLite', () => {
  let h: Harness;
  before(async () => {
    h = await start({ heartbeatMs: 0 });
  });
  after(async () => h.close());

  it('sends headers at once (v0.3 waited for the first event), then live puts, and deletes to NDJSON clients', async () => {
    // v0.3's client asks for application/octet-stream: it gets v0.3's stream, puts only.
    const s = await openStream(`${h.base}/v1/stream/tasks`, { accept: 'application/octet-stream' });
    const nd = await openStream(`${h.base}/v1/stream/tasks`, { accept: 'application/x-ndjson' });
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'application/octet-stream');
    assert.equal(nd.headers['content-type'], 'application/x-ndjson');
    assert.equal(s.lines.length, 0);
    await putEntities(h.store, [
      task({ id: 'live1', cluster: 'streams' }),
      instance({ id: 'ignored', cluster: 'streams' }),
    ]);
    await s.waitForLines(1);
    const [put] = s.json();
    assert.equal(put!.type, undefined);
    assert.equal(taskIdOf(put!), 'live1');
    assert.deepEqual(Object.keys(put!), ['entity', 'metadata']);
    const { revision } = await h.store.delete(keyOf(task({ id: 'live1', cluster: 'streams' })));
    await nd.waitForLines(2);
    const del = nd.json()[1]!;
    assert.equal(del.type, 'delete');
    assert.equal(taskIdOf(del), 'live1');
    assert.equal(revisionOf(del), revision);
    // The v0.3 stream skipped the delete: its next line is the next put.
    await putEntities(h.store, [task({ id: 'live2', cluster: 'streams' })]);
    await s.waitForLines(2);
    assert.deepEqual(s.json().map(taskIdOf), ['live1', 'live2']);
    assert.ok(s.json().every((l) => l.type === undefined && l.entity));
    s.close();
    nd.close();
  });

  it('replays from a past entityVersion inclusively (RUNNING then STOPPED), then continues live', async () => {
    const first = await putEntities(h.store, [
      task({ id: 'r', cluster: 'replay', desiredStatus: 'RUNNING', version: 1 }),
    ]);
    await putEntities(h.store, [
      task({ id: 'r', cluster: 'replay', desiredStatus: 'STOPPED', lastStatus: 'STOPPED', version: 2 }),
    ]);
    const s = await openStream(`${h.base}/v1/stream/tasks?entityVersion=${first}&cluster=replay`);
    await s.waitForLines(2);
    const lines = s.json();
    assert.deepEqual(
      lines.map((l) => [revisionOf(l), (l.entity as { desiredStatus: string }).desiredStatus]),
      [
        [first, 'RUNNING'],
        [first + 1, 'STOPPED'],
      ],
    );
    await putEntities(h.store, [
      task({ id: 'r2', cluster: 'replay' }),
      task({ id: 'elsewhere', cluster: 'other' }),
    ]);
    await s.waitForLines(3);
    assert.equal(taskIdOf(s.json()[2]!), 'r2');
    s.close();
  });

  it('filters streams by status (any case) and cluster; instances stream carries instances only', async () => {
    const s = await openStream(`${h.base}/v1/stream/tasks?status=stopped&cluster=filtered`);
    const i = await openStream(`${h.base}/v1/stream/instances?status=DRAINING`);
    await putEntities(h.store, [
      task({ id: 'a', cluster: 'filtered' }),
      task({ id: 'b', cluster: 'filtered', lastStatus: 'STOPPED' }),
      task({ id: 'c', cluster: 'nope', lastStatus: 'STOPPED' }),
      instance({ id: 'x', cluster: 'filtered' }),
      instance({ id: 'y', cluster: 'filtered', status: 'DRAINING' }),
    ]);
    await s.waitForLines(1);
    await i.waitForLines(1);
    assert.deepEqual(s.json().map(taskIdOf), ['b']);
    assert.match(i.lines[0]!, /container-instance\/filtered\/y"/);
    s.close();
    i.close();
  });

  it('rejects bad entity versions and filters with v0.3 messages; future → 400 out of range', async () => {
    const current = await h.store.revision();
    const cases: Array<[string, number, string, string]> = [
      ['entityVersion=abc', 400, 'InvalidEntityVersion', 'Invalid entity version'],
      ['entityVersion=-1', 400, 'InvalidEntityVersion', 'Invalid entity version'],
      ['entityVersion=1.5', 400, 'InvalidEntityVersion', 'Invalid entity version'],
      [`entityVersion=${current + 1000}`, 400, 'EntityVersionOutOfRange', 'Entity version is out of range'],
      ['status=bogus', 400, 'InvalidStatus', 'Invalid status'],
      ['cluster=a/b', 400, 'InvalidCluster', 'Invalid cluster ARN or name'],
      [
        'status=running&status=stopped',
        400,
        'RedundantFilter',
        'At least one of the filters provided is specified multiple times',
      ],
    ];
    for (const [q, status, code, message] of cases) {
      const res = await fetch(`${h.base}/v1/stream/tasks?${q}`);
      assert.equal(res.status, status, q);
      assert.deepEqual(await errorOfResponse(res), { code, message }, q);
    }
    // v0.3 ignored unknown stream parameters, and so do we; `+N` and `007` parse as v0.3's ParseInt did.
    for (const q of ['entityVersion=0&foo=bar', `entityVersion=%2B${current}`, 'entityVersion=007']) {
      const s = await openStream(`${h.base}/v1/stream/tasks?${q}`);
      assert.equal(s.status, 200, q);
      s.close();
    }
  });

  it('speaks Server-Sent Events on Accept: text/event-stream, and resumes from Last-Event-ID', async () => {
    const s = await openStream(`${h.base}/v1/stream/tasks?cluster=sse`, { accept: 'text/event-stream' });
    assert.match(String(s.headers['content-type']), /^text\/event-stream/);
    const rev = await putEntities(h.store, [task({ id: 'e1', cluster: 'sse' })]);
    await waitFor('an SSE event', () => s.text().includes('event: put'));
    assert.match(
      s.text(),
      new RegExp(`id: ${rev}\\nevent: put\\ndata: \\{"entity":\\{.*"taskARN":"[^"]+/sse/e1"`),
    );
    s.close();
    const again = await openStream(`${h.base}/v1/stream/tasks?cluster=sse`, {
      accept: 'text/event-stream',
      'last-event-id': String(rev),
    });
    await waitFor('the replayed SSE event', () => again.text().includes(`id: ${rev}\n`));
    again.close();
  });

  it('serves native entities with format=native', async () => {
    const s = await openStream(`${h.base}/v1/stream/tasks?cluster=nat&format=native`);
    await putEntities(h.store, [task({ id: 'n1', cluster: 'nat', version: 7 })]);
    await s.waitForLines(1);
    const line = s.json()[0]!;
    assert.equal((line.entity as { detail: { version: number } }).detail.version, 7);
    s.close();
  });

  it('frees everything a client held: 1,000 connect/disconnect cycles leave no subscription behind', async () => {
    const before = process.memoryUsage();
    for (let i = 0; i < 1000; i++) {
      const s = await openStream(
        `${h.base}/v1/stream/${i % 2 ? 'tasks' : 'instances'}?entityVersion=${i % 3 ? 0 : 1}`,
      );
      assert.equal(s.status, 200);
      s.close();
      if (i % 100 === 0) await waitFor('clients to go', () => h.service.streamClientCount() < 20);
    }
    await waitFor(
      'every stream to be released',
      () => h.service.streamClientCount() === 0 && h.service.index.subscriptionCount === 0,
    );
    const afterMem = process.memoryUsage();
    console.log(
      `1000 stream cycles: heapUsed ${(before.heapUsed / 1e6).toFixed(1)} → ${(afterMem.heapUsed / 1e6).toFixed(1)} MB, rss ${(before.rss / 1e6).toFixed(1)} → ${(afterMem.rss / 1e6).toFixed(1)} MB`,
    );
  });
});

describe('stream resume beyond the in-memory change log, compaction, bookmarks, slow clients', () => {
  it('resumes from the store history when the change log no longer has the revision; 410 once compacted', async () => {
    const h = await start({ changeLogSize: 2 });
    try {
      const first = await putEntities(h.store, [task({ id: 'h1', cluster: 'hist', version: 1 })]);
      await putEntities(h.store, [
        task({ id: 'h1', cluster: 'hist', lastStatus: 'STOPPED', version: 2 }),
        task({ id: 'h2', cluster: 'hist' }),
        task({ id: 'h3', cluster: 'hist' }),
      ]);
      const last = await h.store.revision();
      await waitFor('the index to catch up', () => h.service.index.revision >= last);
      assert.ok(h.service.index.oldestResumableRevision > first);
      const s = await openStream(`${h.base}/v1/stream/tasks?entityVersion=${first}`);
      await s.waitForLines(4);
      assert.deepEqual(s.json().map(revisionOf), [first, first + 1, first + 2, first + 3]);
      await putEntities(h.store, [task({ id: 'h4', cluster: 'hist' })]); // live after the store replay
      await s.waitForLines(5);
      assert.equal(taskIdOf(s.json()[4]!), 'h4');
      s.close();

      await h.store.compact(last);
      const gone = await fetch(`${h.base}/v1/stream/tasks?entityVersion=${first}`);
      assert.equal(gone.status, 410);
      const body = await errorOfResponse(gone);
      assert.equal(body.code, 'EntityVersionGone');
      assert.match(body.message, /re-list with GET \/v1\/tasks, then stream from the list's revision \+ 1/);
      await waitFor(
        'released',
        () => h.service.index.subscriptionCount === 0 && h.service.streamClientCount() === 0,
      );
    } finally {
      await h.close();
    }
  });

  it('sends bookmarks with the current revision on an idle stream (not to v0.3 clients)', async () => {
    const h = await start({ heartbeatMs: 40 });
    try {
      const rev = await putEntities(h.store, [instance({ id: 'bm' })]);
      await waitFor('index', () => h.service.index.revision >= rev);
      const v03 = await openStream(`${h.base}/v1/stream/tasks`);
      const s = await openStream(`${h.base}/v1/stream/tasks`, { accept: 'application/x-ndjson' });
      await s.waitForLines(3);
      assert.deepEqual(s.json()[0], { type: 'bookmark', metadata: { entityVersion: String(rev) } });
      // Three heartbeats later the v0.3 stream still has nothing: it never gets a line without an entity.
      assert.equal(v03.lines.length, 0);
      v03.close();
      s.close();
    } finally {
      await h.close();
    }
  });

  it('drops a client that stops reading, without holding up another one', async () => {
    const h = await start({ maxQueuedLines: 20 });
    try {
      const slow = await openStream(`${h.base}/v1/stream/tasks?format=native`, {
        accept: 'application/x-ndjson',
      });
      const fast = await openStream(`${h.base}/v1/stream/tasks?format=native`);
      slow.pause();
      const padding = 'x'.repeat(64 * 1024);
      const n = 300;
      for (let i = 0; i < n; i += 10) {
        await putEntities(
          h.store,
          Array.from({ length: 10 }, (_, j) =>
            task({ id: `big${i + j}`, cluster: 'slow', extra: { padding } }),
          ),
        );
        // The fast client keeps up batch by batch; the paused one falls behind.
        await fast.waitForLines(i + 10, 10_000);
      }
      await fast.waitForLines(n, 20_000);
      await waitFor('the slow client to be dropped', () => h.service.streamClientCount() === 1, {
        timeoutMs: 20_000,
      });
      const metrics = await (await fetch(`${h.base}/metrics`)).text();
      assert.match(metrics, /blox_state_stream_dropped_clients_total\{kind="task",reason="slow"\} 1/);
      // An NDJSON client learns why: the last line before the end says so.
      slow.resume();
      await waitFor('the slow stream to end', () => slow.ended, { timeoutMs: 10_000 });
      const last = slow.json().at(-1)!;
      assert.equal(last.type, 'error');
      assert.equal((last.error as { code: string }).code, 'SlowConsumer');
      slow.close();
      fast.close();
    } finally {
      await h.close();
    }
  });
});
