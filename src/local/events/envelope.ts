/** One ECS state change as the emulated ECS reports it (EcsEmulator.onChange). */
export interface EcsChange {
  kind: 'task' | 'container-instance';
  detail: Record<string, unknown>;
  /** ISO-8601 time of the change. */
  time: string;
  /**
   * `JSON.stringify(detail)`, when the source wrote it already (the emulated ECS does: writing
   * the text straight from its records is cheaper than building the detail and stringifying it,
   * and the detail object is then only made for a listener that reads it).
   */
  json?: string;
  /** With `json`: the ARN of the task or container instance that changed (the event's resource). */
  arn?: string;
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

/**
 * An event ready to send, as `{"version":"0","id":<id>` + `rest`: the id is apart because a
 * duplicate is the same event under a new id.
 */
export interface EventMessage {
  id: string;
  /** Everything after the id: `,"detail-type":…,"detail":{…}}`. */
  rest: string;
}

/** The SQS message body of an event: byte for byte `JSON.stringify(buildEnvelope(change, …))`. */
export function eventBody(message: EventMessage): string {
  return `{"version":"0","id":${JSON.stringify(message.id)}${message.rest}`;
}

/**
 * An event as text without building the envelope object: the detail is `change.json` when the
 * source wrote it, and the envelope's own keys are written in buildEnvelope's order, each value
 * through JSON.stringify, so the bytes are the same as stringifying the envelope (a test holds
 * the two together).
 */
export function eventMessage(
  change: EcsChange,
  context: { id: string; account: string; region: string },
): EventMessage {
  return envelopeWriter(context.account, context.region)(change, context.id);
}

/**
 * eventMessage for one account and region, with the envelope's constant text written once (the
 * emitter writes every event through one of these).
 */
export function envelopeWriter(
  account: string,
  region: string,
): (change: EcsChange, id: string) => EventMessage {
  const J = JSON.stringify;
  const source = `,"source":"aws.ecs","account":${J(account)},"time":`;
  const taskHead = `,"detail-type":"ECS Task State Change"${source}`;
  const instanceHead = `,"detail-type":"ECS Container Instance State Change"${source}`;
  const regionText = `,"region":${J(region)},"resources":`;
  return (change, id) => {
    const detail = change.json;
    if (detail === undefined) {
      const text = J(buildEnvelope(change, { id, account, region }));
      return { id, rest: text.slice(`{"version":"0","id":${J(id)}`.length) };
    }
    const arn = change.arn;
    const rest =
      (change.kind === 'task' ? taskHead : instanceHead) +
      // a source that writes `json` writes canonical UTC times (YYYY-MM-DDTHH:MM:SS[.f]Z): whole
      // seconds are their first 19 characters, which is what the Date round trip gives
      J(change.time.slice(0, 19) + 'Z') +
      regionText +
      (arn === undefined ? '[]' : `[${J(arn)}]`) +
      ',"detail":' +
      detail +
      '}';
    return { id, rest };
  };
}

function wholeSeconds(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 19) + 'Z';
}
