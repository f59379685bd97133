/** One ECS state change as the emulated ECS reports it (EcsEmulator.onChange). */
export interface EcsChange {
  kind: 'task' | 'container-instance';
  detail: Record<string, unknown>;
  /** ISO-8601 time of the change. */
  time: string;
}

/** The EventBridge envelope ECS events arrive in; with an SQS target the whole envelope is the message body. */
export interface EcsEventEnvelope {
  version: '0';
  id: string;
  'detail-type': 'ECS Task State Change' | 'ECS Container Instance State Change';
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Builds the envelope ECS sends for a change: `time` is the change time cut to whole seconds. */
export function buildEnvelope(
  change: EcsChange,
  context: { id: string; account: string; region: string },
): EcsEventEnvelope {
  const task = change.kind === 'task';
  const arn = task ? change.detail.taskArn : change.detail.containerInstanceArn;
  return {
    version: '0',
    id: context.id,
    'detail-type': task ? 'ECS Task State Change' : 'ECS Container Instance State Change',
    source: 'aws.ecs',
    account: context.account,
    time: wholeSeconds(change.time),
    region: context.region,
    resources: typeof arn === 'string' ? [arn] : [],
    detail: change.detail,
  };
}

function wholeSeconds(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 19) + 'Z';
}
