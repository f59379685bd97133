import { DetailError, validateInstanceDetail, validateTaskDetail, type EntityUpdate } from './validate.js';

/**
 * Decoding of one SQS message body: an EventBridge envelope around an ECS event. Task and
 * container-instance state changes become typed entity updates; every other ECS event type
 * (service actions, deployments, and whatever ECS adds later) is recognised and ignored; anything
 * that cannot be decoded is a poison message with a reason and a message that says what is wrong.
 * Pure: no I/O, never throws.
 */

export const TASK_STATE_CHANGE = 'ECS Task State Change';
export const INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

/** The EventBridge envelope (fields Blox reads; others are ignored). */
export interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources?: string[];
  detail: unknown;
}

export interface EnvelopeMeta {
  id: string;
  account: string;
  region: string;
  /** Envelope `time` (ISO). */
  time: string;
}

export type PoisonReason =
  'empty' | 'bad-json' | 'bad-envelope' | 'bad-shape' | 'bad-arn' | 'missing-version';

export type DecodedMessage =
  | { type: 'entity'; update: EntityUpdate; envelope: EnvelopeMeta }
  | { type: 'ignored'; detailType: string; source: string; envelope: EnvelopeMeta }
  | { type: 'poison'; reason: PoisonReason; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function poison(reason: PoisonReason, message: string): DecodedMessage {
  return { type: 'poison', reason, message };
}

const ENVELOPE_STRINGS = ['id', 'detail-type', 'source', 'account', 'region', 'time'] as const;

export function decodeMessage(body: string | undefined): DecodedMessage {
  if (body === undefined || body.trim() === '')
    return poison('empty', 'the message body is empty; expected an EventBridge ECS event (JSON)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return poison(
      'bad-json',
      `the message body is not JSON (${(err as Error).message}); expected an EventBridge ECS event`,
    );
  }
  if (!isRecord(parsed))
    return poison(
      'bad-envelope',
      'the message body is JSON but not an object; expected an EventBridge event envelope',
    );
  for (const field of ENVELOPE_STRINGS) {
    if (typeof parsed[field] !== 'string' || parsed[field] === '')
      return poison(
        'bad-envelope',
        `the event envelope field "${field}" must be a non-empty string; is this an EventBridge event delivered without an input transformer?`,
      );
  }
  const envelope: EnvelopeMeta = {
    id: parsed.id as string,
    account: parsed.account as string,
    region: parsed.region as string,
    time: parsed.time as string,
  };
  const detailType = parsed['detail-type'] as string;
  const source = parsed.source as string;
  const isEntityType = detailType === TASK_STATE_CHANGE || detailType === INSTANCE_STATE_CHANGE;
  if (source !== 'aws.ecs' || !isEntityType) return { type: 'ignored', detailType, source, envelope };
  try {
    const update =
      detailType === TASK_STATE_CHANGE
        ? validateTaskDetail(parsed.detail)
        : validateInstanceDetail(parsed.detail);
    if (update.account !== envelope.account || update.region !== envelope.region)
      return poison(
        'bad-arn',
        `the event envelope says account ${envelope.account} / region ${envelope.region} but detail.clusterArn is in account ${update.account} / region ${update.region}`,
      );
    return { type: 'entity', update, envelope };
  } catch (err) {
    if (err instanceof DetailError) return poison(err.problem, err.message);
    return poison('bad-shape', `the event detail could not be read: ${String(err)}`);
  }
}
