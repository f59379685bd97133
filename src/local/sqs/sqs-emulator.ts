import { createHash, randomUUID } from 'node:crypto';
import { sqsErrors } from './errors.js';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './md5.js';
import { applyAttributes, defaultSettings, renderSettings, type QueueSettings } from './queue-attributes.js';
import { SqsQueue, type StoredMessage } from './queue.js';
import { operations } from './operations.js';

export interface SqsEmulatorOptions {
  region?: string;
  account?: string;
  /** Host (and port) used in queue URLs when a call does not come through HTTP. */
  defaultHost?: string;
  /** Clock in epoch milliseconds; tests may pass their own. */
  now?: () => number;
}

/**
 * Per-call context: the Host a request came to (queue URLs are built from it) and the signal that
 * fires when its client disconnects — or a function giving it, called only if a long poll waits.
 */
export interface SqsCallContext {
  host?: string;
  signal?: AbortSignal | (() => AbortSignal | undefined);
}

export interface SendOptions {
  delaySeconds?: number;
  attributes?: Record<string, MessageAttributeValue>;
  systemAttributes?: Record<string, MessageAttributeValue>;
  groupId?: string;
  deduplicationId?: string;
}

/** What a snapshot keeps of a queue: its settings, tags and messages (all restored visible). */
export interface SqsQueueSnapshot {
  name: string;
  createdAt: number;
  settings: QueueSettings;
  tags: Record<string, string>;
  messages: Array<{
    id: string;
    body: string;
    attributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
    systemAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
    sentAt: number;
    senderId: string;
    firstReceiveAt: number;
    receiveCount: number;
    groupId?: string;
    deduplicationId?: string;
    deadLetterSourceArn?: string;
  }>;
}

export interface SqsSnapshot {
  queues: SqsQueueSnapshot[];
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const NO_OPTIONS: SendOptions = {};
const DEDUP_WINDOW_MS = 5 * 60_000;

/**
 * The SQS side of the emulator: queues by name, the operations on them, and long polls that
 * wake as soon as a message becomes visible and end on disconnect or close. Protocol handlers
 * (JSON 1.0 and query) translate to and from `call(op, input)`.
 */
export class SqsEmulator {
  readonly region: string;
  readonly account: string;
  defaultHost: string;
  readonly now: () => number;
  private readonly queues = new Map<string, SqsQueue>();
  private readonly polls = new Set<() => void>();
  private readonly dedup = new Map<string, { messageId: string; expiresAt: number }>();
  /** QueueUrl → queue name (null: names none), bounded; names do not depend on which queues exist. */
  private readonly urlNames = new Map<string, string | null>();
  private closed = false;

  constructor(options: SqsEmulatorOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.defaultHost = options.defaultHost ?? 'localhost:4566';
    this.now = options.now ?? Date.now;
  }

  /** Runs one SQS operation with the JSON protocol's PascalCase input and output shapes. */
  async call(
    op: string,
    input: Record<string, unknown> = {},
    ctx: SqsCallContext = {},
  ): Promise<Record<string, unknown>> {
    const operation = operations[op];
    if (!operation) throw sqsErrors.invalidAction(op);
    return operation(this, input, ctx);
  }

  /** Long polls waiting right now (tests await this instead of sleeping). */
  get pendingPolls(): number {
    return this.polls.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
  }

  queueUrl(name: string, host = this.defaultHost): string {
    return `http://${host}/${this.account}/${name}`;
  }

  /** Creates a queue, or returns the existing one when every given attribute matches (as SQS does). */
  createQueue(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): SqsQueue {
    const fifo = name.endsWith('.fifo');
    const base = fifo ? name.slice(0, -5) : name;
    if (!QUEUE_NAME.test(base) || name.length > 80)
      throw sqsErrors.invalidParameterValue(
        `Queue name "${name.slice(0, 100)}" is invalid: it can only include alphanumeric characters, hyphens, or underscores, 1 to 80 in length (FIFO queue names end with .fifo).`,
      );
    if (!fifo && attributes.FifoQueue === 'true')
      throw sqsErrors.invalidParameterValue('The name of a FIFO queue must end with the .fifo suffix.');
    const existing = this.queues.get(name);
    const settings = applyAttributes(defaultSettings(), attributes, { creating: true, fifo });
    if (existing) {
      const current = renderSettings(existing.settings, existing.fifo);
      const wanted = renderSettings(settings, fifo);
      for (const key of Object.keys(attributes)) {
        if (key === 'FifoQueue') continue;
        if (current[key] !== wanted[key]) throw sqsErrors.queueNameExists(name);
      }
      return existing;
    }
    const queue = new SqsQueue(name, this.queueArn(name), this.now(), this.now, settings);
    queue.tags = { ...tags };
    this.queues.set(name, queue);
    return queue;
  }

  getQueue(name: string): SqsQueue | undefined {
    return this.queues.get(name);
  }

  listQueues(): SqsQueue[] {
    return [...this.queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    this.queues.delete(name);
    queue.purge();
    queue.dispose();
  }

  /** Finds the queue a QueueUrl names; `http://host/<account>/<name>`, a path, or a bare name. */
  resolveQueueUrl(url: string): SqsQueue {
    // every call names its queue by URL: parse each distinct URL once
    let name = this.urlNames.get(url);
    if (name === undefined) {
      name = this.queueNameOf(url);
      if (this.urlNames.size >= 1000) this.urlNames.clear();
      this.urlNames.set(url, name);
    }
    const queue = name === null ? undefined : this.queues.get(name);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    return queue;
  }

  /** The queue name a QueueUrl names, or null when it cannot name one of this account's queues. */
  private queueNameOf(url: string): string | null {
    let path = url;
    if (/^https?:\/\//i.test(url)) {
      try {
        path = new URL(url).pathname;
      } catch {
        return null;
      }
    }
    const parts = path.split('/').filter((p) => p !== '');
    const name = parts[parts.length - 1];
    if (!name || parts.length > 2) return null;
    if (parts.length === 2 && parts[0] !== this.account) return null;
    try {
      return decodeURIComponent(name);
    } catch {
      // a malformed escape names no queue (as before: decodeURIComponent threw a URIError)
      return null;
    }
  }

  queueByArn(arn: string): SqsQueue | undefined {
    const name = arn.split(':')[5];
    const queue = name === undefined ? undefined : this.queues.get(name);
    return queue && queue.arn === arn ? queue : undefined;
  }

  /** Sends one message (after validation by the caller); returns the stored message. */
  send(
    queue: SqsQueue,
    body: string,
    options: SendOptions = NO_OPTIONS,
  ): { message: StoredMessage; duplicate: boolean } {
    const now = this.now();
    if (queue.fifo) {
      const dedupId =
        options.deduplicationId ??
        (queue.settings.opaque.ContentBasedDeduplication === 'true'
          ? createHash('sha256').update(body).digest('hex')
          : undefined);
      if (dedupId !== undefined) {
        const key = `${queue.arn}|${dedupId}`;
        const seen = this.dedup.get(key);
        if (seen && seen.expiresAt > now) {
          const message = queue.allMessages().find((m) => m.id === seen.messageId);
          if (message) return { message, duplicate: true };
        }
        options = { ...options, deduplicationId: dedupId };
      }
    }
    // enqueue copies every field into one message shape, so absent ones go as undefined (no spreads)
    const message = queue.enqueue(
      {
        id: randomUUID(),
        body,
        md5OfBody: md5Hex(body),
        attributes: options.attributes,
        md5OfAttributes: options.attributes ? md5OfMessageAttributes(options.attributes) : undefined,
        systemAttributes: options.systemAttributes,
        sentAt: now,
        senderId: this.account,
        groupId: options.groupId,
        deduplicationId: options.deduplicationId,
      },
      options.delaySeconds ?? queue.settings.DelaySeconds,
      now,
    );
    if (queue.fifo && message.deduplicationId !== undefined) {
      this.dedup.set(`${queue.arn}|${message.deduplicationId}`, {
        messageId: message.id,
        expiresAt: now + DEDUP_WINDOW_MS,
      });
      if (this.dedup.size > 10_000) {
        for (const [key, entry] of this.dedup) if (entry.expiresAt <= now) this.dedup.delete(key);
      }
    }
    return { message, duplicate: false };
  }

  /**
   * Receives from a queue, long-polling up to `waitSeconds`: resolves as soon as a message is
   * visible, after the wait with none, or at once (empty) when the client disconnects or the
   * emulator closes.
   */
  receive(
    queue: SqsQueue,
    max: number,
    visibilitySeconds: number,
    waitSeconds: number,
    disconnect?: AbortSignal | (() => AbortSignal | undefined),
  ): Promise<StoredMessage[]> | StoredMessage[] {
    // a closure only for queues with a redrive policy (most receives need none)
    const deadLetter = queue.settings.RedrivePolicy ? this.deadLetterMove(queue) : undefined;
    const first = queue.receive(max, visibilitySeconds, this.now(), deadLetter);
    if (first.length > 0 || waitSeconds <= 0 || this.closed) return first;
    const signal = typeof disconnect === 'function' ? disconnect() : disconnect;
    if (signal?.aborted) return first;
    return new Promise((resolve) => {
      let done = false;
      const finish = (messages: StoredMessage[]) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        queue.removeWaiter(waiter);
        signal?.removeEventListener('abort', abort);
        this.polls.delete(abort);
        resolve(messages);
      };
      const waiter = () => {
        if (!this.queues.has(queue.name)) {
          finish([]);
          return true;
        }
        const redrive = queue.settings.RedrivePolicy ? this.deadLetterMove(queue) : undefined;
        const got = queue.receive(max, visibilitySeconds, this.now(), redrive);
        if (got.length === 0) return false;
        finish(got);
        return true;
      };
      const abort = () => finish([]);
      const timer = setTimeout(abort, waitSeconds * 1000);
      signal?.addEventListener('abort', abort, { once: true });
      this.polls.add(abort);
      queue.addWaiter(waiter, this.now());
    });
  }

  private deadLetterMove(source: SqsQueue): (msg: StoredMessage) => boolean {
    return (msg) => this.moveToDeadLetter(source, msg);
  }

  private moveToDeadLetter(source: SqsQueue, msg: StoredMessage): boolean {
    const policy = source.settings.RedrivePolicy;
    const target = policy ? this.queueByArn(policy.deadLetterTargetArn) : undefined;
    if (!target || target === source) return false;
    target.enqueue(
      {
        id: msg.id,
        body: msg.body,
        md5OfBody: msg.md5OfBody,
        attributes: msg.attributes,
        md5OfAttributes: msg.md5OfAttributes,
        systemAttributes: msg.systemAttributes,
        sentAt: msg.sentAt,
        senderId: msg.senderId,
        deadLetterSourceArn: source.arn,
        ...(msg.groupId !== undefined ? { groupId: msg.groupId } : {}),
      },
      0,
      this.now(),
    );
    return true;
  }

  /** Ends every pending long poll (each answers with no messages). */
  endPolls(): void {
    for (const abort of [...this.polls]) abort();
  }

  snapshot(): SqsSnapshot {
    const encode = (attrs: Record<string, MessageAttributeValue> | undefined) =>
      attrs
        ? Object.fromEntries(
            Object.entries(attrs).map(([k, v]) => [
              k,
              {
                DataType: v.DataType,
                ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
                ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue.toString('base64') } : {}),
              },
            ]),
          )
        : undefined;
    return {
      queues: this.listQueues().map((q) => ({
        name: q.name,
        createdAt: q.createdAt,
        settings: q.settings,
        tags: q.tags,
        messages: q.allMessages().map((m) => ({
          id: m.id,
          body: m.body,
          ...(m.attributes ? { attributes: encode(m.attributes) } : {}),
          ...(m.systemAttributes ? { systemAttributes: encode(m.systemAttributes) } : {}),
          sentAt: m.sentAt,
          senderId: m.senderId,
          firstReceiveAt: m.firstReceiveAt,
          receiveCount: m.receiveCount,
          ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
          ...(m.deduplicationId !== undefined ? { deduplicationId: m.deduplicationId } : {}),
          ...(m.deadLetterSourceArn !== undefined ? { deadLetterSourceArn: m.deadLetterSourceArn } : {}),
        })),
      })),
    };
  }

  /** Replaces every queue with those of a snapshot. */
  restore(snapshot: SqsSnapshot): void {
    this.reset();
    const decode = (attrs: SqsQueueSnapshot['messages'][number]['attributes']) =>
      attrs
        ? Object.fromEntries(
            Object.entries(attrs).map(([k, v]) => [
              k,
              {
                DataType: v.DataType,
                ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
                ...(v.BinaryValue !== undefined ? { BinaryValue: Buffer.from(v.BinaryValue, 'base64') } : {}),
              },
            ]),
          )
        : undefined;
    for (const q of snapshot.queues) {
      const queue = new SqsQueue(q.name, this.queueArn(q.name), q.createdAt, this.now, {
        ...defaultSettings(),
        ...q.settings,
      });
      queue.tags = { ...q.tags };
      this.queues.set(q.name, queue);
      for (const m of q.messages) {
        const attributes = decode(m.attributes);
        queue.restoreMessage(
          {
            id: m.id,
            body: m.body,
            md5OfBody: md5Hex(m.body),
            attributes,
            md5OfAttributes: attributes ? md5OfMessageAttributes(attributes) : undefined,
            systemAttributes: decode(m.systemAttributes),
            sentAt: m.sentAt,
            senderId: m.senderId,
            groupId: m.groupId,
            deduplicationId: m.deduplicationId,
            deadLetterSourceArn: m.deadLetterSourceArn,
          },
          { firstReceiveAt: m.firstReceiveAt, receiveCount: m.receiveCount },
        );
      }
    }
  }

  /** Deletes every queue (pending long polls end empty). */
  reset(): void {
    this.endPolls();
    for (const queue of this.queues.values()) {
      queue.purge();
      queue.dispose();
    }
    this.queues.clear();
    this.dedup.clear();
  }

  close(): void {
    this.closed = true;
    this.endPolls();
    for (const queue of this.queues.values()) queue.dispose();
  }
}
