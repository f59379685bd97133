import type {
  DescribeTasksRequest,
  ECSClient,
  Failure,
  StartTaskRequest,
  StopTaskRequest,
  Task,
} from '@aws-sdk/client-ecs';
import { awsTransportSettings, type AwsTransportSettings } from './clients.js';
import {
  AwsServiceError,
  configuredEndpointOf,
  JsonTransport,
  onePerClient,
  parseAwsErrorFields,
  targetOf,
  type AwsErrorFields,
  type JsonTarget,
} from './json-transport.js';

/**
 * The scheduler's hot ECS calls — StartTask, StopTask, DescribeTasks — spoken directly in AWS
 * JSON 1.1 (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`) over the ECS client's own
 * keep-alive agents, signed with SigV4 (json-transport.ts: the client's credentials, region and
 * clock offset, its timeouts and maxAttempts, the SDK's retries and error names).
 *
 * Why not the SDK: a StartTask of 10 instances through the AWS SDK v3 cost ~2.3 ms of client CPU
 * (endpoint rules, middleware, schema parsing of the answer, its sensitive-field log filter,
 * signing); a 1,000-instance join makes 100 of them on the event loop the ingest shares, more
 * than the join's whole budget (docs/architecture.md, "AWS clients", has the figures).
 *
 * Endpoint, resolved once per client: the client's `endpoint` option when given; else
 * AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL (the SDK's service-configured endpoint); else the SDK's
 * own endpoint rules for the client's region, FIPS and dual-stack settings (`endpointProvider`,
 * e.g. `https://ecs.eu-west-1.amazonaws.com`); and only if a client has none of those,
 * `https://ecs.<region>.amazonaws.com` (`.amazonaws.com.cn` in China regions).
 *
 * Answers are the service's JSON as is (`JSON.parse`): the same shapes the SDK returns, except
 * that timestamps (`createdAt`, `startedAt`, `stoppedAt`, …) stay epoch-second numbers where the
 * SDK makes Date objects — the `RawTask` type says so, and no caller reads them.
 */

/** A task as ECS's JSON has it: the SDK's Task with its timestamps as epoch seconds. */
export type RawTask = {
  [K in keyof Task]: Task[K] extends Date | undefined ? number | undefined : Task[K];
};
export interface RawTasksOutput {
  tasks?: RawTask[];
  failures?: Failure[];
}
export interface RawStopTaskOutput {
  task?: RawTask;
}

/** An error ECS answered (status ≥ 300), named as the AWS SDK names it (`ClusterNotFoundException`, …). */
export class EcsServiceError extends AwsServiceError {}

const ecsErrorOf = (f: AwsErrorFields): EcsServiceError =>
  new EcsServiceError(f.name, f.message, f.status, f.requestId);

/** Turns an error response into an EcsServiceError. Pure; exported for tests. */
export function parseEcsError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): EcsServiceError {
  return ecsErrorOf(parseAwsErrorFields(status, headers, body, 'ECS'));
}

/** The standard ECS endpoint of a region, for clients without endpoint rules. Pure. */
export function standardEcsEndpoint(region: string): string {
  return `https://ecs.${region}.amazonaws.${region.startsWith('cn-') ? 'com.cn' : 'com'}`;
}

interface EcsResolvedConfig {
  region: () => Promise<string>;
  serviceConfiguredEndpoint?: () => Promise<string | undefined>;
  useFipsEndpoint?: () => Promise<boolean>;
  useDualstackEndpoint?: () => Promise<boolean>;
  endpointProvider?: (params: Record<string, unknown>) => { url: URL };
}

/** Where an ECS client's requests go (see the module comment for the order). */
export async function ecsEndpointOf(client: ECSClient): Promise<JsonTarget> {
  const configured = await configuredEndpointOf(client);
  if (configured) return configured;
  const config = client.config as unknown as EcsResolvedConfig;
  const fromEnv = await config.serviceConfiguredEndpoint?.();
  if (fromEnv) return targetOf(new URL(fromEnv));
  const region = await config.region();
  if (config.endpointProvider) {
    const url = config.endpointProvider({
      Region: region,
      UseFIPS: (await config.useFipsEndpoint?.()) ?? false,
      UseDualStack: (await config.useDualstackEndpoint?.()) ?? false,
    }).url;
    return targetOf(new URL(url.href));
  }
  return targetOf(new URL(standardEcsEndpoint(region)));
}

export class EcsTransport {
  private readonly transport: JsonTransport;
  private endpoint: Promise<JsonTarget> | undefined;

  constructor(
    private readonly client: ECSClient,
    settings: AwsTransportSettings,
  ) {
    this.transport = new JsonTransport(client, settings, {
      signingName: 'ecs',
      label: 'ECS',
      contentType: 'application/x-amz-json-1.1',
      targetPrefix: 'AmazonEC2ContainerServiceV20141113',
      userAgent: 'blox-ecs-transport',
      makeError: ecsErrorOf,
    });
  }

  startTask(input: StartTaskRequest, signal?: AbortSignal): Promise<RawTasksOutput> {
    return this.call('StartTask', input, signal) as Promise<RawTasksOutput>;
  }

  stopTask(input: StopTaskRequest, signal?: AbortSignal): Promise<RawStopTaskOutput> {
    return this.call('StopTask', input, signal) as Promise<RawStopTaskOutput>;
  }

  describeTasks(input: DescribeTasksRequest, signal?: AbortSignal): Promise<RawTasksOutput> {
    return this.call('DescribeTasks', input, signal) as Promise<RawTasksOutput>;
  }

  private async call(op: string, input: object, signal: AbortSignal | undefined): Promise<unknown> {
    this.endpoint ??= ecsEndpointOf(this.client);
    let target: JsonTarget;
    try {
      target = await this.endpoint;
    } catch (err) {
      this.endpoint = undefined; // e.g. no region configured yet: try again on the next call
      throw err;
    }
    return this.transport.call(op, target, JSON.stringify(input), { signal });
  }
}

/** The transport of an ECS client (one per client, sharing its agents, timeouts and credentials). */
export const ecsTransportFor = onePerClient(
  (client: ECSClient) => new EcsTransport(client, awsTransportSettings(client)),
);
