import { decodeMessage, type EnvelopeMeta, type PoisonReason } from '../../core/ecs/events.js';
import type { EntityUpdate } from '../../core/ecs/validate.js';

/**
 * What to do with each message of one receive, decided without I/O: entity updates go to the
 * writer (deleted after commit), other ECS event types and events from outside the allow-lists
 * are acknowledged at once, poison goes to the dead-letter path.
 */

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string | undefined;
  /** ApproximateReceiveCount, when SQS returned it. */
  receiveCount?: number;
}

export interface AllowList {
  /** Accounts whose events are accepted (empty or undefined = any). */
  accounts?: readonly string[];
  /** Regions whose events are accepted (empty or undefined = any). */
  regions?: readonly string[];
}

export type RejectReason = 'account' | 'region';

export interface ClassifiedBatch {
  entities: Array<{ message: ReceivedMessage; update: EntityUpdate; envelope: EnvelopeMeta }>;
  ignored: Array<{ message: ReceivedMessage; detailType: string }>;
  rejected: Array<{ message: ReceivedMessage; reason: RejectReason; detail: string }>;
  poison: Array<{ message: ReceivedMessage; reason: PoisonReason; error: string }>;
}

function allowed(list: readonly string[] | undefined, value: string): boolean {
  return list === undefined || list.length === 0 || list.includes(value);
}

export function classifyMessages(messages: ReceivedMessage[], allow: AllowList = {}): ClassifiedBatch {
  const out: ClassifiedBatch = { entities: [], ignored: [], rejected: [], poison: [] };
  for (const message of messages) {
    const d = decodeMessage(message.body);
    if (d.type === 'poison') {
      out.poison.push({ message, reason: d.reason, error: d.message });
      continue;
    }
    // Both the envelope and the entity's own ARN must be in scope: a forged envelope must not
    // smuggle another account's entity in (decode already requires the two to agree).
    const account = d.envelope.account;
    const region = d.envelope.region;
    if (!allowed(allow.accounts, account)) {
      out.rejected.push({
        message,
        reason: 'account',
        detail: `account ${account} is not in the allow-list`,
      });
      continue;
    }
    if (!allowed(allow.regions, region)) {
      out.rejected.push({ message, reason: 'region', detail: `region ${region} is not in the allow-list` });
      continue;
    }
    if (d.type === 'ignored') out.ignored.push({ message, detailType: d.detailType });
    else out.entities.push({ message, update: d.update, envelope: d.envelope });
  }
  return out;
}
