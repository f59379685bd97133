import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Registry } from 'prom-client';
import { parseStoredEntity } from '../../../src/core/ecs/stored.js';
import type { ContainerInstanceDetail, TaskDetail } from '../../../src/core/ecs/entities.js';
import { startIngest, type Ingest, type IngestOptions } from '../../../src/state/ingest/index.js';
import type { Store } from '../../../src/store/types.js';
import { waitFor } from '../../support/env.js';
import {
  CI1_KEY,
  ENTITY_EVENTS,
  INSTANCE_EVENTS,
  TASK_EVENTS,
  TASK_KEY,
  otherTypeBodies,
  readVector,
  vectorBody,
} from '../../core/ecs/vectors.js';
import { BACKENDS, type Backend } from '../writer/backends.js';
import { ecsTruth, queueCounts, runTasks, sendBodies, startAws, type AwsHarness } from './harness.js';
import { sameVersions, storeView } from './store-view.js';

/** Deterministic shuffle (mulberry32) so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same event as a new envelope id (a duplicate as EventBridge may deliver it). */
function withNewId(file: string, n: number): string {
  const env = readVector<Record<string, unknown>>(file);
  return JSON.stringify({ ...env, id: `dup-${n}-${env.id as string}` });
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, unknown> }>;
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

for (const makeBackend of BACKENDS) {
  const backendName = makeBackend.name.replace('Backend', '');
  describe(`SQS ingest against the emulator (${backendName})`, () => {
    let backend: Backend;
    let h: AwsHarness;
    let queueSeq = 0;
    const running: Ingest[] = [];

    before(async () => {
      [backend, h] = await Promise.all([makeBackend(), startAws()]);
    });
    after(async () => {
      for (const i of running) await i.stop();
      await h.close();
      await backend.close();
    });

    async function newQueue(attributes: Record<string, string> = {}): Promise<string> {
      const out = await h.sqs.send(
        new CreateQueueCommand({ QueueName: `q${backendName}${++queueSeq}`, Attributes: attributes }),
      );
      return out.QueueUrl!;
    }

    async function ingest(
      store: Store,
      options: Partial<IngestOptions> & { queue: string },
      registry = new Registry(),
    ) {
      const i = await startIngest(
        { pollers: 2, waitTimeSeconds: 1, queueDepthIntervalMs: 0, ...options },
        { store, sqs: h.sqs, registry },
      );
      running.push(i);
      return i;
    }

    async function drained(queueUrl: string): Promise<boolean> {
      const c = await queueCounts(h.sqs, queueUrl);
      return c.visible === 0 && c.inFlight === 0;
    }

    async function finalSampleState(store: Store): Promise<boolean> {
      const t = parseStoredEntity((await store.get(TASK_KEY))?.value);
      const i = parseStoredEntity((await store.get(CI1_KEY))?.value);
      return (
        t?.detail.version === 4 &&
        (t.detail as TaskDetail).lastStatus === 'STOPPED' &&
        i?.detail.version === 5 &&
        (i.detail as ContainerInstanceDetail).status === 'INACTIVE'
      );
    }

    it('stores what the emulator emits for a real ECS workload', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const ing = await ingest(store, { queue: 'blox_queue' }, registry);
      h.aws.ecs.fleet.scale('ingest', 3);
      await runTasks(h.ecs, 'ingest', 6);
      const truth = await waitFor(
        'store = ECS truth',
        async () => {
          const t = await ecsTruth(h.ecs);
          const s = await storeView(store);
          return t.tasks.size === 6 &&
            [...t.tasks.values()].every((v) => v >= 2) &&
            sameVersions(t.tasks, s.tasks) &&
            sameVersions(t.instances, s.instances)
            ? t
            : undefined;
        },
        { timeoutMs: 15_000 },
      );
      assert.equal(truth.instances.size, 3);
      await waitFor('queue drained', () => drained(h.queueUrl));
      assert.ok((await metricValue(registry, 'blox_state_ingest_events_total', { outcome: 'applied' })) >= 9);
      assert.ok((await metricValue(registry, 'blox_state_ingest_messages_received_total')) >= 9);
      assert.ok(ing.status().counts.applied >= 9);
      assert.equal(ing.status().lastError, undefined);
      await ing.stop();
    });

    const orders: Array<[string, () => string[]]> = [
      ['in order', () => ENTITY_EVENTS.map(vectorBody)],
      ['reversed', () => [...ENTITY_EVENTS].reverse().map(vectorBody)],
      ['shuffled', () => shuffled(ENTITY_EVENTS, 42).map(vectorBody)],
      [
        'duplicated (same and new envelope id)',
        () => [
          ...ENTITY_EVENTS.map(vectorBody),
          ...ENTITY_EVENTS.map((f, n) => withNewId(f, n)),
          vectorBody(TASK_EVENTS[3]!),
        ],
      ],
      [
        'with gaps (task-stopping left out)',
        () =>
          shuffled([...TASK_EVENTS.filter((f) => !f.includes('stopping')), ...INSTANCE_EVENTS], 7).map(
            vectorBody,
          ),
      ],
    ];
    for (const [name, bodies] of orders) {
      it(`converges to task v4 STOPPED and CI1 v5 INACTIVE with the sample vectors ${name}`, async () => {
        const store = await backend.open();
        const queueUrl = await newQueue();
        const all = bodies();
        // one message per send so that receives see them in this order as far as SQS allows
        await sendBodies(h.sqs, queueUrl, all);
        const ing = await ingest(store, { queue: queueUrl });
        await waitFor('final sample state', () => finalSampleState(store));
        await waitFor('queue drained', () => drained(queueUrl));
        const c = ing.status().counts;
        assert.equal(c.received, all.length);
        assert.equal(c.applied + c.duplicate + c.stale, all.length);
        assert.ok(c.applied >= 2 && c.applied <= all.length);
        await ing.stop();
      });
    }

    it('acknowledges and counts other ECS event types and events with unknown fields', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const queueUrl = await newQueue();
      const env = readVector<Record<string, unknown> & { detail: Record<string, unknown> }>(
        'events/task-running.json',
      );
      const extra = JSON.stringify({
        ...env,
        newTopLevel: true,
        detail: { ...env.detail, brandNew: { a: 1 } },
      });
      await sendBodies(h.sqs, queueUrl, [...otherTypeBodies(), extra]);
      const ing = await ingest(store, { queue: queueUrl }, registry);
      await waitFor('queue drained', () => drained(queueUrl));
      assert.equal(ing.status().counts.ignored, 2);
      assert.equal(await metricValue(registry, 'blox_state_ingest_events_total', { outcome: 'ignored' }), 2);
      const stored = parseStoredEntity((await store.get(TASK_KEY))?.value);
      assert.deepEqual((stored?.detail as Record<string, unknown>).brandNew, { a: 1 });
      await ing.stop();
    });

    it('moves poison messages to the dead-letter queue and deletes them from the source', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const queueUrl = await newQueue();
      const dlqUrl = await newQueue();
      const env = readVector<Record<string, unknown> & { detail: Record<string, unknown> }>(
        'events/task-running.json',
      );
      const poison = [
        '{"not": json',
        JSON.stringify({ ...env, detail: { ...env.detail, version: undefined } }),
        JSON.stringify({ ...env, detail: { ...env.detail, taskArn: 'bogus' } }),
      ];
      await sendBodies(h.sqs, queueUrl, [...poison, vectorBody('events/task-pending.json')]);
      const ing = await ingest(store, { queue: queueUrl, deadLetterQueue: dlqUrl }, registry);
      assert.equal(ing.status().poisonMode, 'dead-letter');
      await waitFor('source drained', () => drained(queueUrl));
      const got: Array<{ body: string; reason: string | undefined }> = [];
      await waitFor('3 messages in the DLQ', async () => {
        const out = await h.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 0,
          }),
        );
        for (const m of out.Messages ?? [])
          got.push({ body: m.Body!, reason: m.MessageAttributes?.['blox.poison.reason']?.StringValue });
        return got.length >= 3;
      });
      assert.deepEqual(got.map((g) => g.body).sort(), [...poison].sort());
      assert.deepEqual(got.map((g) => g.reason).sort(), ['bad-arn', 'bad-json', 'missing-version']);
      assert.equal(
        await metricValue(registry, 'blox_state_ingest_poison_total', { action: 'dead-lettered' }),
        3,
      );
      // the good message in the same batch was still applied
      assert.equal(parseStoredEntity((await store.get(TASK_KEY))?.value)?.detail.version, 1);
      await ing.stop();
    });

    it('without a dead-letter queue, logs, drops and counts poison messages', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const queueUrl = await newQueue();
      await sendBodies(h.sqs, queueUrl, ['garbage', '{"version":"0"}']);
      const ing = await ingest(store, { queue: queueUrl }, registry);
      assert.equal(ing.status().poisonMode, 'drop');
      await waitFor('queue drained', () => drained(queueUrl));
      assert.equal(ing.status().counts.poison, 2);
      assert.equal(await metricValue(registry, 'blox_state_ingest_poison_total', { action: 'dropped' }), 2);
      assert.equal((await store.range({ prefix: 'ecs/', countOnly: true })).count, 0);
      await ing.stop();
    });

    it('leaves poison to the queue RedrivePolicy when the queue has one and no DLQ is configured', async () => {
      const store = await backend.open();
      const dlqUrl = await newQueue();
      const dlqArn = `arn:aws:sqs:${h.aws.region}:${h.aws.account}:${dlqUrl.split('/').pop()}`;
      const queueUrl = await newQueue({
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        VisibilityTimeout: '0',
      });
      await sendBodies(h.sqs, queueUrl, ['garbage']);
      const ing = await ingest(store, { queue: queueUrl, visibilityTimeoutSeconds: 0 });
      assert.equal(ing.status().poisonMode, 'redrive');
      await waitFor('source drained by redrive', () => drained(queueUrl));
      await waitFor('message in the DLQ', async () => (await queueCounts(h.sqs, dlqUrl)).visible === 1);
      await ing.stop();
    });

    it('rejects and counts events from accounts or regions outside the allow-list, creating no state', async () => {
      const store = await backend.open();
      const registry = new Registry();
      const queueUrl = await newQueue();
      await sendBodies(h.sqs, queueUrl, ENTITY_EVENTS.map(vectorBody));
      const ing = await ingest(store, { queue: queueUrl, allowedAccounts: ['111122223333'] }, registry);
      await waitFor('queue drained', () => drained(queueUrl));
      assert.equal(ing.status().counts.rejected, ENTITY_EVENTS.length);
      assert.equal(
        await metricValue(registry, 'blox_state_ingest_rejected_total', { reason: 'account' }),
        ENTITY_EVENTS.length,
      );
      assert.equal((await store.range({ prefix: 'ecs/', countOnly: true })).count, 0);
      await ing.stop();

      const q2 = await newQueue();
      await sendBodies(h.sqs, q2, [vectorBody('events/task-running.json')]);
      const ing2 = await ingest(
        store,
        { queue: q2, allowedAccounts: ['123456789012'], allowedRegions: ['eu-west-1'] },
        registry,
      );
      await waitFor('queue drained', () => drained(q2));
      assert.equal(ing2.status().counts.rejected, 1);
      assert.equal(await metricValue(registry, 'blox_state_ingest_rejected_total', { reason: 'region' }), 1);
      assert.equal((await store.range({ prefix: 'ecs/', countOnly: true })).count, 0);
      await ing2.stop();
    });

    it('does not delete a message whose commit failed; it is applied on redelivery', async () => {
      const broken = await backend.open();
      await broken.close(); // every store call now fails
      const queueUrl = await newQueue();
      await sendBodies(h.sqs, queueUrl, [vectorBody('events/task-running.json')]);
      const ing = await ingest(broken, { queue: queueUrl, visibilityTimeoutSeconds: 1, pollers: 1 });
      await waitFor('a failed commit', () => ing.status().lastError?.op === 'commit');
      await ing.stop();
      const c = await queueCounts(h.sqs, queueUrl);
      assert.equal(c.visible + c.inFlight, 1, 'the message is still in the queue');
      assert.equal(ing.status().counts.applied, 0);

      const store = await backend.open();
      const ing2 = await ingest(store, { queue: queueUrl, visibilityTimeoutSeconds: 1 });
      await waitFor('applied after redelivery', async () => (await store.get(TASK_KEY)) !== undefined, {
        timeoutMs: 5000,
      });
      await waitFor('queue drained', () => drained(queueUrl));
      await ing2.stop();
    });

    it('adds short-polling receivers for a backlog, up to maxPollers, and drops them once it is drained', async () => {
      const store = await backend.open();
      const queueUrl = await newQueue();
      const bodies = otherTypeBodies();
      await sendBodies(
        h.sqs,
        queueUrl,
        Array.from({ length: 400 }, (_, i) => bodies[i % bodies.length]!),
      );
      const ing = await ingest(store, { queue: queueUrl, pollers: 1, maxPollers: 5, waitTimeSeconds: 1 });
      let most = 0;
      await waitFor(
        'queue drained',
        async () => {
          most = Math.max(most, ing.status().receivers);
          return ing.status().counts.ignored === 400 && (await drained(queueUrl));
        },
        { intervalMs: 2 },
      );
      assert.ok(most > 1, `a backlog adds receivers (at most ${most} seen)`);
      assert.ok(most <= 5, `never more than maxPollers (${most} seen)`);
      await waitFor('back to the long-poller alone', () => ing.status().receivers === 1);
      assert.equal(ing.status().maxPollers, 5);
      await ing.stop();
      assert.equal(ing.status().receivers, 1);
    });

    it('runs and restarts many pollers without piling abort listeners on one signal', async () => {
      const store = await backend.open();
      const queueUrl = await newQueue();
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        for (let round = 0; round < 2; round++) {
          const i = await ingest(store, { queue: queueUrl, pollers: 16, waitTimeSeconds: 2 });
          // start() sent every poller's first long poll; let the requests go out before stopping
          await new Promise<void>((r) => setTimeout(r, 50));
          await i.stop();
        }
        // process warnings are emitted on the next tick
        await new Promise<void>((r) => setImmediate(r));
        assert.deepEqual(
          warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
          [],
        );
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('fails to start with a clear error when the queue does not exist', async () => {
      const store = await backend.open();
      await assert.rejects(
        startIngest({ queue: 'sqs://no_such_queue' }, { store, sqs: h.sqs }),
        /SQS queue "no_such_queue" could not be found/,
      );
      await assert.rejects(startIngest({ queue: '' }, { store, sqs: h.sqs }), /ingest needs a queue/);
      await assert.rejects(
        startIngest({ queue: 'blox_queue', deadLetterQueue: 'sqs://blox_queue' }, { store, sqs: h.sqs }),
        /dead-letter queue is the source queue itself/,
      );
      await assert.rejects(
        startIngest({ queue: 'x', pollers: 0 }, { store, sqs: h.sqs }),
        /pollers must be a whole number from 1 to 64/,
      );
      await assert.rejects(
        startIngest({ queue: 'x', maxPollers: 65 }, { store, sqs: h.sqs }),
        /maxPollers must be a whole number from 1 to 64/,
      );
    });
  });
}
