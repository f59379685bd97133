import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { SqsEmulator } from '../sqs/index.js';
import { MAX_MESSAGE_BYTES } from '../sqs/index.js';
import { envelopeWriter, eventBody, type EcsChange, type EventMessage } from './envelope.js';
import type { EventFaults } from './faults.js';
import { EventPipeline, type PipelineStats } from './pipeline.js';
import { createPrng, prngUuid, type Prng } from './prng.js';

/** Anything with EcsEmulator's change feed. */
export interface EcsChangeSource {
  onChange(listener: (change: EcsChange) => void): () => void;
}

export interface EventEmitterOptions {
  sqs: SqsEmulator;
  account: string;
  region: string;
  /** Target queues (created when missing). Default: ['blox_queue']. */
  queues?: string[];
  faults?: Partial<EventFaults>;
  /** Seeds the fault decisions and event ids; default: a random seed (see `seed`). */
  seed?: number;
  reorderHoldMs?: number;
  logger?: Logger;
}

export interface EventEmitterStatus {
  queues: string[];
  seed: number;
  faults: EventFaults;
  stats: PipelineStats & { undeliverable: number };
}

/**
 * Turns every ECS change into the EventBridge envelope ECS sends and puts it, one SQS message
 * per event, on each target queue, through the fault knobs (drop, duplicate, reorder, delay).
 */
export class EcsEventEmitter {
  private readonly sqs: SqsEmulator;
  private readonly account: string;
  private readonly region: string;
  private readonly logger: Logger;
  private targetQueues: string[];
  private currentSeed: number;
  private ids: Prng;
  private readonly pipeline: EventPipeline<EventMessage>;
  private readonly writeMessage: (change: EcsChange, id: string) => EventMessage;
  private unsubscribe: (() => void) | undefined;
  private undeliverable = 0;

  constructor(options: EventEmitterOptions) {
    this.sqs = options.sqs;
    this.account = options.account;
    this.region = options.region;
    this.logger = options.logger ?? silentLogger;
    this.targetQueues = [...(options.queues ?? ['blox_queue'])];
    this.currentSeed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.ids = createPrng(this.currentSeed ^ 0x5bd1e995);
    this.writeMessage = envelopeWriter(this.account, this.region);
    this.pipeline = new EventPipeline({
      seed: this.currentSeed,
      deliver: (message) => this.deliver(message),
      newId: () => prngUuid(this.ids),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.reorderHoldMs !== undefined ? { reorderHoldMs: options.reorderHoldMs } : {}),
    });
    this.ensureQueues();
  }

  /** Starts listening to an ECS change feed (one at a time). */
  attach(source: EcsChangeSource): void {
    this.unsubscribe?.();
    this.unsubscribe = source.onChange((change) => this.publish(change));
  }

  /** Emits one change (the ECS feed calls this; tests may too). */
  publish(change: EcsChange): void {
    // written as text at once: the change's detail may be a live view of records that move on
    this.pipeline.push(this.writeMessage(change, prngUuid(this.ids)));
  }

  get queues(): string[] {
    return [...this.targetQueues];
  }

  setQueues(queues: string[]): void {
    this.targetQueues = [...queues];
    this.ensureQueues();
  }

  get seed(): number {
    return this.currentSeed;
  }

  /** Changes fault knobs; with a seed, restarts both PRNGs so what follows is reproducible. */
  setFaults(faults: Partial<EventFaults>, seed?: number): void {
    if (seed !== undefined) {
      this.currentSeed = seed;
      this.ids = createPrng(seed ^ 0x5bd1e995);
    }
    this.pipeline.configure(faults, seed);
  }

  status(): EventEmitterStatus {
    return {
      queues: this.queues,
      seed: this.currentSeed,
      faults: this.pipeline.faults,
      stats: { ...this.pipeline.stats(), undeliverable: this.undeliverable },
    };
  }

  /** Sends everything held in the reorder window or delay now. */
  flush(): void {
    this.pipeline.flush();
  }

  /** Forgets held events (used by reset). */
  discardPending(): void {
    this.pipeline.discard();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.pipeline.discard();
  }

  /** Re-creates missing target queues (after an SQS reset, for instance). */
  ensureQueues(): void {
    for (const name of this.targetQueues) if (!this.sqs.getQueue(name)) this.sqs.createQueue(name);
  }

  private deliver(message: EventMessage): void {
    const body = eventBody(message);
    // a UTF-8 character is at most 3 bytes per UTF-16 unit, so most bodies need no byte count
    if (body.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      this.undeliverable++;
      this.logger.warn(
        { id: message.id, bytes: Buffer.byteLength(body) },
        'ECS event larger than 1 MiB not sent',
      );
      return;
    }
    for (const name of this.targetQueues) {
      const queue = this.sqs.getQueue(name);
      if (!queue || this.sqs.isClosed) {
        this.undeliverable++;
        continue;
      }
      this.sqs.send(queue, body);
    }
  }
}
