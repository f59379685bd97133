import { randomUUID } from 'node:crypto';
import { sqsErrors } from './errors.js';
import type { MessageAttributeValue } from './md5.js';
import { bodyOf, messageJson, type MessageJson } from './message-json.js';
import { MinHeap } from './min-heap.js';
import { defaultSettings, type QueueSettings } from './queue-attributes.js';

export type MessageState = 'delayed' | 'ready' | 'inflight' | 'deleted';

/** What a message is stored from (enqueue's input). */
export interface MessageInput {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue> | undefined;
  md5OfAttributes: string | undefined;
  systemAttributes: Record<string, MessageAttributeValue> | undefined;
  sentAt: number;
  senderId: string;
  groupId?: string | undefined;
  deduplicationId?: string | undefined;
  deadLetterSourceArn?: string | undefined;
}

/**
 * One stored message. Its body is kept once, inside its ReceiveMessage JSON (`json`, written when
 * stored), and read back from there on the rare paths that want the text: keeping the string too
 * held a second ~2 KB copy of every waiting message on the JS heap, which the GC copied about.
 */
export class StoredMessage {
  readonly id: string;
  /** Names the message in receipt handles: a small integer, unique within its queue. */
  serial: number;
  readonly md5OfBody: string;
  /** Its fields of a JSON ReceiveMessage answer, made when stored (see message-json.ts). */
  readonly json: MessageJson;
  readonly attributes: Record<string, MessageAttributeValue> | undefined;
  readonly md5OfAttributes: string | undefined;
  readonly systemAttributes: Record<string, MessageAttributeValue> | undefined;
  readonly sentAt: number;
  readonly senderId: string;
  /** 0 until the first receive. */
  firstReceiveAt = 0;
  receiveCount = 0;
  state: MessageState = 'ready';
  /** Bumped on each receive; a receipt handle names the receive it came from. */
  receiptSeq = 0;
  /** Bumped on every state change, so heap entries of an earlier state are recognised as stale. */
  stamp = 0;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  sequenceNumber: string | undefined = undefined;
  readonly deadLetterSourceArn: string | undefined;

  constructor(input: MessageInput, serial: number) {
    this.id = input.id;
    this.serial = serial;
    this.md5OfBody = input.md5OfBody;
    this.json = messageJson(input.id, input.md5OfBody, input.body);
    this.attributes = input.attributes;
    this.md5OfAttributes = input.md5OfAttributes;
    this.systemAttributes = input.systemAttributes;
    this.sentAt = input.sentAt;
    this.senderId = input.senderId;
    this.groupId = input.groupId;
    this.deduplicationId = input.deduplicationId;
    this.deadLetterSourceArn = input.deadLetterSourceArn;
  }

  get body(): string {
    return bodyOf(this.json);
  }
}

interface InvisibleEntry {
  at: number;
  msg: StoredMessage;
  stamp: number;
}

/** Called for each message about to be received once more than maxReceiveCount; true if it moved. */
export type DeadLetterMove = (msg: StoredMessage) => boolean;

/**
 * One queue's messages. Ready messages wait in a FIFO deque; delayed and in-flight ones in a
 * min-heap keyed by the time they become visible, promoted lazily on each operation. Every
 * state change bumps the message's stamp, so deletes and visibility changes never search:
 * stale heap and deque entries are skipped when reached.
 */
export class SqsQueue {
  readonly name: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly createdAt: number;
  lastModifiedAt: number;
  settings: QueueSettings;
  tags: Record<string, string> = {};
  /** Distinguishes this queue from an earlier one of the same name in receipt handles. */
  readonly token = randomUUID().slice(0, 8);

  /** By serial: integer keys hash and compare far cheaper than message-id strings. */
  private readonly messages = new Map<number, StoredMessage>();
  private serial = 0;
  private ready: Array<StoredMessage | undefined> = [];
  private head = 0;
  private readonly invisible = new MinHeap<InvisibleEntry>();
  private readonly counts = { ready: 0, delayed: 0, inflight: 0 };
  private readonly waiters = new Set<() => boolean>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private sequence = 0n;

  constructor(
    name: string,
    arn: string,
    now: number,
    private readonly clock: () => number,
    settings: QueueSettings = defaultSettings(),
  ) {
    this.name = name;
    this.arn = arn;
    this.fifo = name.endsWith('.fifo');
    this.createdAt = now;
    this.lastModifiedAt = now;
    this.settings = settings;
  }

  /** Approximate counts as GetQueueAttributes reports them. */
  stats(now: number): { visible: number; notVisible: number; delayed: number } {
    this.promote(now);
    return { visible: this.counts.ready, notVisible: this.counts.inflight, delayed: this.counts.delayed };
  }

  enqueue(message: MessageInput, delaySeconds: number, now: number): StoredMessage {
    const stored = new StoredMessage(message, ++this.serial);
    if (this.fifo) stored.sequenceNumber = (++this.sequence).toString().padStart(20, '0');
    this.messages.set(stored.serial, stored);
    if (delaySeconds > 0) this.makeInvisible(stored, 'delayed', now + delaySeconds * 1000);
    else this.makeReady(stored);
    this.notify(now);
    return stored;
  }

  /** Takes up to `max` visible messages, making each invisible for `visibilitySeconds`. */
  receive(max: number, visibilitySeconds: number, now: number, deadLetter?: DeadLetterMove): StoredMessage[] {
    this.promote(now);
    const out: StoredMessage[] = [];
    const retentionMs = this.settings.MessageRetentionPeriod * 1000;
    const redrive = this.settings.RedrivePolicy;
    while (out.length < max && this.head < this.ready.length) {
      const msg = this.ready[this.head];
      this.ready[this.head++] = undefined;
      if (!msg || msg.state !== 'ready') continue;
      if (now - msg.sentAt >= retentionMs) {
        this.remove(msg);
        continue;
      }
      if (redrive && deadLetter && msg.receiveCount >= redrive.maxReceiveCount && deadLetter(msg)) {
        this.remove(msg);
        continue;
      }
      this.counts.ready--;
      msg.receiveCount++;
      if (msg.firstReceiveAt === 0) msg.firstReceiveAt = now;
      msg.receiptSeq++;
      this.makeInvisible(msg, 'inflight', now + visibilitySeconds * 1000);
      out.push(msg);
    }
    this.compactDeque();
    return out;
  }

  /**
   * Names one receive of one message: `<queue token>-<serial>-<receive>` (base 36), opaque to
   * clients as SQS's are, and made and parsed without encoding work on the hot path.
   */
  receiptHandle(msg: StoredMessage): string {
    return `${this.token}-${msg.serial.toString(36)}-${msg.receiptSeq.toString(36)}`;
  }

  /** Deletes the message a handle names; a stale or already-used handle succeeds and does nothing, as in SQS. */
  deleteByHandle(handle: string): void {
    const msg = this.resolveHandle(handle);
    if (msg) this.remove(msg);
  }

  changeVisibility(handle: string, seconds: number, now: number): void {
    const msg = this.resolveHandle(handle);
    if (!msg)
      throw sqsErrors.invalidParameterValue(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    this.promote(now);
    if (msg.state !== 'inflight') throw sqsErrors.messageNotInflight();
    this.counts.inflight--;
    this.makeInvisible(msg, 'inflight', now + seconds * 1000);
    if (seconds === 0) this.notify(now);
    else this.scheduleWake(now);
  }

  purge(): void {
    for (const msg of this.messages.values()) {
      msg.state = 'deleted';
      msg.stamp++;
    }
    this.messages.clear();
    this.ready = [];
    this.head = 0;
    this.invisible.clear();
    this.counts.ready = this.counts.delayed = this.counts.inflight = 0;
  }

  /** Registers a long poller; it is called when messages may be available and returns true once satisfied. */
  addWaiter(waiter: () => boolean, now: number): void {
    this.waiters.add(waiter);
    this.scheduleWake(now);
  }

  removeWaiter(waiter: () => boolean): void {
    this.waiters.delete(waiter);
    if (this.waiters.size === 0) this.clearWake();
  }

  /** Every stored message, for snapshots. */
  allMessages(): StoredMessage[] {
    return [...this.messages.values()];
  }

  /**
   * Puts back a message from a snapshot. In-flight and delayed messages come back visible: a
   * restarted emulator has no consumer holding them any more.
   */
  restoreMessage(msg: MessageInput, received: { firstReceiveAt: number; receiveCount: number }): void {
    const restored = new StoredMessage(msg, ++this.serial);
    restored.firstReceiveAt = received.firstReceiveAt;
    restored.receiveCount = received.receiveCount;
    this.messages.set(restored.serial, restored);
    this.makeReady(restored);
  }

  /** Stops timers and wakes every waiter once (a waiter whose queue is gone ends its poll). */
  dispose(): void {
    this.clearWake();
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private resolveHandle(handle: string): StoredMessage | undefined {
    const token = this.token;
    const dash = handle.indexOf('-', token.length + 1);
    const serial = dash < 0 ? NaN : base36(handle, token.length + 1, dash);
    const receiptSeq = dash < 0 ? NaN : base36(handle, dash + 1, handle.length);
    const wellFormed =
      handle.startsWith(token) &&
      handle.charCodeAt(token.length) === 45 && // '-'
      !Number.isNaN(serial) &&
      !Number.isNaN(receiptSeq);
    if (!wellFormed) throw sqsErrors.receiptHandleIsInvalid(handle);
    const msg = this.messages.get(serial);
    if (!msg || msg.receiptSeq !== receiptSeq) return undefined;
    return msg;
  }

  private makeReady(msg: StoredMessage): void {
    msg.state = 'ready';
    msg.stamp++;
    this.counts.ready++;
    this.ready.push(msg);
  }

  private makeInvisible(msg: StoredMessage, state: 'delayed' | 'inflight', at: number): void {
    msg.state = state;
    msg.stamp++;
    this.counts[state]++;
    this.invisible.push({ at, msg, stamp: msg.stamp });
  }

  private remove(msg: StoredMessage): void {
    if (msg.state === 'deleted') return;
    this.counts[msg.state]--;
    msg.state = 'deleted';
    msg.stamp++;
    this.messages.delete(msg.serial);
    // Deleted in-flight messages leave stale heap entries; drop them once they dominate.
    const live = this.counts.delayed + this.counts.inflight;
    if (this.invisible.size > 4096 && this.invisible.size > 2 * live)
      this.invisible.retain((entry) => entry.msg.stamp === entry.stamp);
  }

  private promote(now: number): void {
    let top = this.invisible.peek();
    while (top && top.at <= now) {
      this.invisible.pop();
      const msg = top.msg;
      if (msg.stamp === top.stamp) {
        this.counts[msg.state as 'delayed' | 'inflight']--;
        this.makeReady(msg);
      }
      top = this.invisible.peek();
    }
  }

  private compactDeque(): void {
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    } else if (this.head === this.ready.length && this.head > 0) {
      this.ready = [];
      this.head = 0;
    }
  }

  /** Lets waiting long polls take newly visible messages, oldest waiter first. */
  private notify(now: number): void {
    if (this.waiters.size === 0) return;
    this.promote(now);
    for (const waiter of this.waiters) {
      if (this.counts.ready === 0) break;
      if (waiter()) this.waiters.delete(waiter);
    }
    this.scheduleWake(now);
  }

  /** While someone waits, a timer fires when the next invisible message becomes visible. */
  private scheduleWake(now: number): void {
    if (this.waiters.size === 0) return this.clearWake();
    let top = this.invisible.peek();
    while (top && top.msg.stamp !== top.stamp) {
      this.invisible.pop();
      top = this.invisible.peek();
    }
    if (!top) return this.clearWake();
    if (this.wakeTimer && this.wakeAt <= top.at) return;
    this.clearWake();
    this.wakeAt = top.at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Infinity;
        this.notify(this.clock());
      },
      Math.max(0, top.at - now),
    );
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }
}

/** The base-36 number in text[from, to) (digits and lower-case letters only, at most 10), or NaN. */
function base36(text: string, from: number, to: number): number {
  if (to <= from || to - from > 10) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
    if (digit < 0) return NaN;
    n = n * 36 + digit;
  }
  return n;
}
