import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Registry } from 'prom-client';
import { backoffDelay, sleep } from '../../aws/backoff.js';
import { CommandSender } from '../../aws/command-sender.js';
import { sqsTransportFor, type SqsTransport } from '../../aws/sqs-transport.js';
import { ConfigError, errorMessage } from '../../core/errors.js';
import type { SerializedEntities } from '../../core/ecs/stored.js';
import { parseEventTime } from '../../core/ecs/time.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Store } from '../../store/types.js';
import { VersionCache } from '../writer/entity-writer.js';
import { GroupCommitter } from '../writer/group-commit.js';
import { classifyMessages, type ClassifiedBatch, type ReceivedMessage } from './classify.js';
import { createIngestMetrics, type IngestMetrics } from './metrics.js';
import { resolveIngestOptions, type IngestOptions, type ResolvedIngestOptions } from './options.js';
import { resolveQueueUrl } from './queue-url.js';

/**
 * SQS ingest: N concurrent long-pollers receive ECS events in batches, decode them, write each
 * receive's entity updates in one guarded store transaction (version-ordered), and delete a
 * message only once its effect is committed. Other event types and events from outside the
 * allow-list are acknowledged and counted; poison messages go to the dead-letter queue (or the
 * queue's own RedrivePolicy, or are logged and dropped) — never retried forever.
 */

export interface IngestDeps {
  store: Store;
  sqs: SQSClient;
  /** Where metrics are registered (default: none). */
  registry?: Registry;
  logger?: Logger;
  now?: () => Date;
  /** Remembers written entities for the index of this process (see SerializedEntities). */
  handoff?: SerializedEntities;
}

/**
 * What happens to poison messages:
 * - `dead-letter`: sent to the configured dead-letter queue (with the reason as message
 *   attributes), then deleted from the source queue;
 * - `redrive`: no dead-letter queue was configured but the source queue has a RedrivePolicy: the
 *   message is left alone and SQS moves it after maxReceiveCount receives;
 * - `drop`: logged with its message id and reason, then deleted.
 */
export type PoisonMode = 'dead-letter' | 'redrive' | 'drop';

export interface IngestCounts {
  received: number;
  applied: number;
  duplicate: number;
  stale: number;
  ignored: number;
  poison: number;
  rejected: number;
}

export interface IngestStatus {
  queueUrl: string;
  deadLetterQueueUrl?: string;
  poisonMode: PoisonMode;
  pollers: number;
  /** Receivers at most while the queue has a backlog. */
  maxPollers: number;
  /** Receivers now: the long-pollers plus short-polling ones added for a backlog. */
  receivers: number;
  running: boolean;
  counts: IngestCounts;
  lastReceiveAt?: string;
  lastCommitAt?: string;
  lastError?: { at: string; op: string; message: string };
}

export interface Ingest {
  readonly queueUrl: string;
  status(): IngestStatus;
  /** Stops polling (in-flight receives are aborted), lets in-progress batches finish. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the pollers. Rejects (with a clear message) when the queue or dead-letter queue cannot be found. */
export async function startIngest(options: IngestOptions, deps: IngestDeps): Promise<Ingest> {
  const opts = resolveIngestOptions(options);
  const log = (deps.logger ?? silentLogger).child({ component: 'ingest' });
  const queueUrl = await resolveQueueUrl(deps.sqs, opts.queue, 'source');
  const deadLetterQueueUrl = opts.deadLetterQueue
    ? await resolveQueueUrl(deps.sqs, opts.deadLetterQueue, 'dead-letter')
    : undefined;
  if (deadLetterQueueUrl !== undefined && deadLetterQueueUrl === queueUrl)
    throw new ConfigError(
      `the dead-letter queue is the source queue itself (${queueUrl}); poison messages would come straight back — use another queue`,
    );
  const poisonMode: PoisonMode = deadLetterQueueUrl
    ? 'dead-letter'
    : (await hasRedrivePolicy(deps.sqs, queueUrl, log))
      ? 'redrive'
      : 'drop';
  const loop = new IngestLoop(
    opts,
    deps,
    log,
    createIngestMetrics(deps.registry),
    queueUrl,
    deadLetterQueueUrl,
    poisonMode,
  );
  loop.start();
  log.info(
    {
      queueUrl,
      pollers: opts.pollers,
      maxPollers: opts.maxPollers,
      batchSize: opts.batchSize,
      poisonMode,
      deadLetterQueueUrl,
    },
    'ingest started',
  );
  return {
    queueUrl,
    status: () => loop.status(),
    stop: () => loop.stop(),
  };
}

async function hasRedrivePolicy(sqs: SQSClient, queueUrl: string, log: Logger): Promise<boolean> {
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    return Boolean(out.Attributes?.RedrivePolicy);
  } catch (err) {
    log.warn(
      { err: errorMessage(err) },
      'could not read the queue RedrivePolicy; poison messages will be dropped',
    );
    return false;
  }
}

class IngestLoop {
  /** One per receiver: a signal shared by every poller would carry one abort listener per long poll. */
  private readonly aborts = new Set<AbortController>();
  /** SDK calls off the hot path, never aborted (dead-lettering, queue depth). */
  private readonly sender: CommandSender;
  /**
   * The hot path's ReceiveMessage and DeleteMessageBatch, without the SDK's per-call overhead
   * (src/aws/sqs-transport.ts says why); same credentials, endpoint, timeouts and checks.
   */
  private readonly transport: SqsTransport;
  private readonly loops = new Set<Promise<void>>();
  /** Short-polling receivers added while the queue has a backlog (see `maxPollers`). */
  private burstReceivers = 0;
  private depthTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly counts: IngestCounts = {
    received: 0,
    applied: 0,
    duplicate: 0,
    stale: 0,
    ignored: 0,
    poison: 0,
    rejected: 0,
  };
  private lastReceiveAt: string | undefined;
  private lastCommitAt: string | undefined;
  private lastError: IngestStatus['lastError'];
  private readonly now: () => Date;
  private readonly writer: GroupCommitter;

  constructor(
    private readonly opts: ResolvedIngestOptions,
    private readonly deps: IngestDeps,
    private readonly log: Logger,
    private readonly metrics: IngestMetrics,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string | undefined,
    private readonly poisonMode: PoisonMode,
  ) {
    this.now = deps.now ?? (() => new Date());
    this.sender = new CommandSender(deps.sqs);
    this.transport = sqsTransportFor(deps.sqs);
    const cache = opts.writeCacheEntries > 0 ? new VersionCache(opts.writeCacheEntries) : undefined;
    this.writer = new GroupCommitter(deps.store, {
      source: 'event',
      now: this.now,
      ...(cache ? { cache } : {}),
      ...(deps.handoff ? { handoff: deps.handoff } : {}),
      maxInFlight: opts.commitsInFlight,
    });
  }

  start(): void {
    for (let i = 0; i < this.opts.pollers; i++) this.spawn((signal) => this.poll(i, signal, false));
    if (this.opts.queueDepthIntervalMs > 0) {
      void this.sampleDepth();
      this.depthTimer = setInterval(() => void this.sampleDepth(), this.opts.queueDepthIntervalMs);
      this.depthTimer.unref();
    }
  }

  status(): IngestStatus {
    return {
      queueUrl: this.queueUrl,
      ...(this.deadLetterQueueUrl ? { deadLetterQueueUrl: this.deadLetterQueueUrl } : {}),
      poisonMode: this.poisonMode,
      pollers: this.opts.pollers,
      maxPollers: this.opts.maxPollers,
      receivers: this.opts.pollers + this.burstReceivers,
      running: !this.stopping,
      counts: { ...this.counts },
      ...(this.lastReceiveAt ? { lastReceiveAt: this.lastReceiveAt } : {}),
      ...(this.lastCommitAt ? { lastCommitAt: this.lastCommitAt } : {}),
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
    };
  }

  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      for (const a of this.aborts) a.abort();
      if (this.depthTimer) clearInterval(this.depthTimer);
      // Burst receivers end on their own once aborted; new ones are not added while stopping.
      this.stopped = Promise.all([...this.loops]).then(() => {
        this.log.info({ counts: this.counts }, 'ingest stopped');
      });
    }
    return this.stopped;
  }

  private fail(op: string, err: unknown, extra: Record<string, unknown> = {}): void {
    this.metrics.errors.inc({ op });
    const message = errorMessage(err);
    this.lastError = { at: this.now().toISOString(), op, message };
    this.log.warn({ op, err: message, ...extra }, `ingest ${op} failed`);
  }

  /** Runs a receive loop with its own abort signal, tracked until it ends. */
  private spawn(loop: (signal: AbortSignal) => Promise<void>): void {
    const abort = new AbortController();
    this.aborts.add(abort);
    const running: Promise<void> = loop(abort.signal).finally(() => {
      this.aborts.delete(abort);
      this.loops.delete(running);
    });
    this.loops.add(running);
  }

  /** A full receive means more is waiting: add a short-polling receiver while below `maxPollers`. */
  private maybeBurst(): void {
    if (this.stopping || this.opts.pollers + this.burstReceivers >= this.opts.maxPollers) return;
    this.burstReceivers++;
    const id = this.opts.pollers + this.burstReceivers - 1;
    this.spawn((signal) =>
      this.poll(id, signal, true).finally(() => {
        this.burstReceivers--;
      }),
    );
  }

  /**
   * One receiver. A long-poller (`burst` false) runs until stop; a burst receiver short-polls and
   * leaves after its first receive that is not full (or fails).
   */
  private async poll(poller: number, signal: AbortSignal, burst: boolean): Promise<void> {
    // The previous batch's delete runs while the next receive waits; at most one per receiver.
    let deleting: Promise<void> = Promise.resolve();
    let failures = 0;
    while (!this.stopping) {
      let messages: Message[];
      try {
        // This receiver's own signal: stop() ends its long poll at once.
        const out = await this.transport.receiveMessage(
          {
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: this.opts.batchSize,
            WaitTimeSeconds: burst ? 0 : this.opts.waitTimeSeconds,
            VisibilityTimeout: this.opts.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          },
          signal,
        );
        messages = out.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        this.fail('receive', err, { poller });
        if (burst) break;
        failures++;
        await sleep(backoffDelay(failures, this.opts.errorBackoff), signal);
        continue;
      }
      await deleting;
      if (messages.length === 0) {
        if (burst) break;
        // A short poll (waitTimeSeconds 0) on an empty queue would otherwise spin.
        if (this.opts.waitTimeSeconds === 0) await sleep(100, signal);
        continue;
      }
      const full = messages.length >= this.opts.batchSize;
      if (full) this.maybeBurst();
      let committed: boolean;
      try {
        const done = await this.processBatch(messages);
        committed = done.committed;
        deleting = done.deleting;
      } catch (err) {
        // processBatch handles its own failures; this is a last guard so a poller never dies.
        this.fail('process', err, { poller });
        committed = false;
      }
      // A burst receiver stays only while receives come back full: on a trickle, short polls in a
      // loop would cost a request per message or two where the long-pollers batch them.
      if (burst && (!committed || !full)) break;
      if (committed) failures = 0;
      else {
        failures++;
        await sleep(backoffDelay(failures, this.opts.errorBackoff), signal);
      }
    }
    await deleting;
  }

  /**
   * Handles one receive; never throws. `committed` is false when the store commit failed;
   * `deleting` settles once the messages whose effect is committed (or that need none) are deleted.
   */
  private async processBatch(raw: Message[]): Promise<{ committed: boolean; deleting: Promise<void> }> {
    const messages: ReceivedMessage[] = raw.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body,
      ...(m.Attributes?.ApproximateReceiveCount
        ? { receiveCount: Number(m.Attributes.ApproximateReceiveCount) }
        : {}),
    }));
    this.lastReceiveAt = this.now().toISOString();
    this.counts.received += messages.length;
    this.metrics.messagesReceived.inc(messages.length);
    this.metrics.batchSize.observe(messages.length);

    const batch = classifyMessages(messages, {
      accounts: this.opts.allowedAccounts,
      regions: this.opts.allowedRegions,
    });
    const ack: ReceivedMessage[] = [];
    this.countSkipped(batch);
    for (const m of batch.ignored) ack.push(m.message);
    for (const m of batch.rejected) ack.push(m.message);
    ack.push(...(await this.handlePoison(batch)));

    let committed = true;
    if (batch.entities.length > 0) {
      const started = performance.now();
      try {
        const outcomes = await this.writer.write(batch.entities.map((e) => e.update));
        this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
        const nowMs = this.now().getTime();
        this.lastCommitAt = new Date(nowMs).toISOString();
        // Counted per outcome once per batch: a labelled counter's inc costs a label lookup each.
        const tally = new Map<string, number>();
        outcomes.forEach((o, i) => {
          this.counts[o.result]++;
          tally.set(o.result, (tally.get(o.result) ?? 0) + 1);
          if (o.result === 'applied') {
            const e = batch.entities[i]!;
            const eventMs =
              parseEventTime((o.update.detail as { updatedAt?: unknown }).updatedAt) ??
              parseEventTime(e.envelope.time);
            if (eventMs !== undefined) this.metrics.lagSeconds.observe(Math.max(0, nowMs - eventMs) / 1000);
          }
        });
        for (const [outcome, n] of tally) this.metrics.events.inc({ outcome }, n);
        for (const e of batch.entities) ack.push(e.message);
      } catch (err) {
        // Not deleted: the messages come back after the visibility timeout and are applied then.
        committed = false;
        this.fail('commit', err, { messages: batch.entities.map((e) => e.message.messageId) });
      }
    }
    return { committed, deleting: this.deleteMessages(ack) };
  }

  private countSkipped(batch: ClassifiedBatch): void {
    if (batch.ignored.length) {
      this.counts.ignored += batch.ignored.length;
      this.metrics.events.inc({ outcome: 'ignored' }, batch.ignored.length);
      for (const m of batch.ignored)
        this.log.debug({ messageId: m.message.messageId, detailType: m.detailType }, 'ignored event type');
    }
    for (const r of batch.rejected) {
      this.counts.rejected++;
      this.metrics.events.inc({ outcome: 'rejected' });
      this.metrics.rejected.inc({ reason: r.reason });
      this.log.warn({ messageId: r.message.messageId, reason: r.detail }, 'event rejected by the allow-list');
    }
    if (batch.poison.length) {
      this.counts.poison += batch.poison.length;
      this.metrics.events.inc({ outcome: 'poison' }, batch.poison.length);
    }
  }

  /** Returns the poison messages that may now be deleted from the source queue. */
  private async handlePoison(batch: ClassifiedBatch): Promise<ReceivedMessage[]> {
    if (batch.poison.length === 0) return [];
    if (this.poisonMode === 'redrive') {
      for (const p of batch.poison) {
        this.metrics.poison.inc({ reason: p.reason, action: 'left-for-redrive' });
        this.log.warn(
          {
            messageId: p.message.messageId,
            receiveCount: p.message.receiveCount,
            reason: p.reason,
            error: p.error,
          },
          'poison message left for the queue RedrivePolicy',
        );
      }
      return [];
    }
    if (this.poisonMode === 'drop') {
      for (const p of batch.poison) {
        this.metrics.poison.inc({ reason: p.reason, action: 'dropped' });
        this.log.error(
          {
            messageId: p.message.messageId,
            reason: p.reason,
            error: p.error,
            body: p.message.body?.slice(0, 256),
          },
          'poison message dropped (configure a dead-letter queue to keep such messages)',
        );
      }
      return batch.poison.map((p) => p.message);
    }
    const sent: ReceivedMessage[] = [];
    try {
      const out = await this.sender.send(
        new SendMessageBatchCommand({
          QueueUrl: this.deadLetterQueueUrl,
          Entries: batch.poison.map((p, i) => ({
            Id: String(i),
            // SQS refuses empty bodies; an empty poison message is kept as a marker.
            MessageBody:
              p.message.body && p.message.body.length > 0 ? p.message.body : '(empty message body)',
            MessageAttributes: {
              'blox.poison.reason': { DataType: 'String', StringValue: p.reason },
              'blox.poison.error': { DataType: 'String', StringValue: p.error.slice(0, 1024) },
              'blox.source.messageId': { DataType: 'String', StringValue: p.message.messageId || '(none)' },
            },
          })),
        }),
      );
      const ok = new Set((out.Successful ?? []).map((s) => s.Id));
      batch.poison.forEach((p, i) => {
        if (ok.has(String(i))) {
          sent.push(p.message);
          this.metrics.poison.inc({ reason: p.reason, action: 'dead-lettered' });
          this.log.warn(
            { messageId: p.message.messageId, reason: p.reason, error: p.error },
            'poison message moved to the dead-letter queue',
          );
        }
      });
      for (const f of out.Failed ?? [])
        this.fail('dead-letter', new Error(`${f.Code}: ${f.Message}`), {
          messageId: batch.poison[Number(f.Id)]?.message.messageId,
        });
    } catch (err) {
      this.fail('dead-letter', err, { messages: batch.poison.map((p) => p.message.messageId) });
    }
    return sent;
  }

  private async deleteMessages(messages: ReceivedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const out = await this.transport.deleteMessageBatch({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.receiptHandle })),
        });
        for (const f of out.Failed ?? [])
          // Redelivery of a committed message is harmless: it is a duplicate by ECS version.
          this.fail('delete', new Error(`${f.Code}: ${f.Message}`), {
            messageId: chunk[Number(f.Id)]?.messageId,
          });
      } catch (err) {
        this.fail('delete', err, { messages: chunk.map((m) => m.messageId) });
      }
    }
  }

  private async sampleDepth(): Promise<void> {
    try {
      const out = await this.sender.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = out.Attributes ?? {};
      this.metrics.queueMessages.set({ state: 'visible' }, Number(a.ApproximateNumberOfMessages ?? 0));
      this.metrics.queueMessages.set(
        { state: 'in_flight' },
        Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      );
      this.metrics.queueMessages.set({ state: 'delayed' }, Number(a.ApproximateNumberOfMessagesDelayed ?? 0));
    } catch (err) {
      if (!this.stopping) this.fail('queue-depth', err);
    }
  }
}
