import { ConfigError } from '../../core/errors.js';
import type { BackoffOptions } from '../../aws/backoff.js';

/** Settings of the ingest loop (the CLI maps flags onto these). */
export interface IngestOptions {
  /** Source queue: a name, `sqs://<name>` (v0.3's form) or a queue URL. */
  queue: string;
  /** Concurrent long-pollers, always running (default 4). */
  pollers?: number;
  /**
   * Receivers at most while the queue has a backlog (default: `pollers`, i.e. none added): a
   * receive that comes back full adds a short-polling receiver, which leaves as soon as one of its
   * receives comes back less than full, so a backlog drains at the rate of many receivers while an
   * idle queue holds only `pollers` long polls. Off by default: in one process with the scheduler
   * (`blox up`) the extra receivers' work delayed the scheduler's ECS calls more than it sped up
   * the ingest (docs/state-ingest.md); a state service on its own can turn it on.
   */
  maxPollers?: number;
  /** Long-poll wait, 0–20 s (default 20). */
  waitTimeSeconds?: number;
  /** Visibility timeout asked for on each receive (default 30 s): how long a received message stays hidden before redelivery. */
  visibilityTimeoutSeconds?: number;
  /** Messages per receive, 1–10 (default 10). */
  batchSize?: number;
  /**
   * Dead-letter queue for poison messages (name, `sqs://` name or URL). Without it, a poison message
   * is left to the source queue's RedrivePolicy when it has one, otherwise logged and dropped.
   */
  deadLetterQueue?: string;
  /** Accept events of these accounts only (empty = any). */
  allowedAccounts?: string[];
  /** Accept events of these regions only (empty = any). */
  allowedRegions?: string[];
  /** How often to sample the queue depth (default 30 s; 0 = never). */
  queueDepthIntervalMs?: number;
  /** Backoff after a failed receive or commit. */
  errorBackoff?: BackoffOptions;
  /**
   * Keys whose last known store revision and ECS version are remembered, so a batch is written in
   * one guarded transaction without reading first (default 100,000; 0 = always read first).
   */
  writeCacheEntries?: number;
  /**
   * Store commits in flight at once; batches of pollers that arrive meanwhile are merged into the
   * next commit (group commit). Default 2.
   */
  commitsInFlight?: number;
}

export type ResolvedIngestOptions = Required<Omit<IngestOptions, 'deadLetterQueue' | 'errorBackoff'>> & {
  deadLetterQueue?: string;
  errorBackoff: BackoffOptions;
};

function intIn(name: string, v: number | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(`ingest option ${name} must be a whole number from ${min} to ${max}, got ${v}`);
  return v;
}

export function resolveIngestOptions(o: IngestOptions): ResolvedIngestOptions {
  if (typeof o.queue !== 'string' || o.queue.trim() === '' || o.queue.trim() === 'sqs://')
    throw new ConfigError(
      'ingest needs a queue: the SQS queue name (or sqs://<name>, or its URL) that receives the ECS events',
    );
  for (const [name, list] of [
    ['allowedAccounts', o.allowedAccounts],
    ['allowedRegions', o.allowedRegions],
  ] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')))
      throw new ConfigError(`ingest option ${name} must be a list of non-empty strings`);
  }
  if (o.allowedAccounts?.some((a) => !/^\d{12}$/.test(a)))
    throw new ConfigError(
      `ingest option allowedAccounts holds ${JSON.stringify(o.allowedAccounts.find((a) => !/^\d{12}$/.test(a)))}, which is not a 12-digit AWS account id`,
    );
  return {
    queue: o.queue.trim(),
    pollers: intIn('pollers', o.pollers, 4, 1, 64),
    // Off unless asked for: see the option's comment.
    maxPollers: Math.max(intIn('pollers', o.pollers, 4, 1, 64), intIn('maxPollers', o.maxPollers, 1, 1, 64)),
    waitTimeSeconds: intIn('waitTimeSeconds', o.waitTimeSeconds, 20, 0, 20),
    visibilityTimeoutSeconds: intIn('visibilityTimeoutSeconds', o.visibilityTimeoutSeconds, 30, 0, 43_200),
    batchSize: intIn('batchSize', o.batchSize, 10, 1, 10),
    ...(o.deadLetterQueue ? { deadLetterQueue: o.deadLetterQueue.trim() } : {}),
    allowedAccounts: o.allowedAccounts ?? [],
    allowedRegions: o.allowedRegions ?? [],
    queueDepthIntervalMs: intIn('queueDepthIntervalMs', o.queueDepthIntervalMs, 30_000, 0, 86_400_000),
    errorBackoff: o.errorBackoff ?? { baseMs: 200, maxMs: 10_000 },
    writeCacheEntries: intIn('writeCacheEntries', o.writeCacheEntries, 100_000, 0, 10_000_000),
    commitsInFlight: intIn('commitsInFlight', o.commitsInFlight, 2, 1, 64),
  };
}
