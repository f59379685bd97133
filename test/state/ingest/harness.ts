import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createEcsClient, createSqsClient, type AwsClientOptions } from '../../../src/aws/clients.js';
import { resourceId } from '../../../src/core/arn.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../../src/local/index.js';

/**
 * The local AWS emulator plus real SDK clients pointed at it over HTTP, for the write-side tests.
 * The system under test only ever talks to the emulator through these clients.
 */
export interface AwsHarness {
  aws: LocalAws;
  ecs: ECSClient;
  sqs: SQSClient;
  clientOptions: AwsClientOptions;
  queueUrl: string;
  close(): Promise<void>;
}

export async function startAws(options: LocalAwsOptions = {}): Promise<AwsHarness> {
  const aws = await startLocalAws({ port: 0, taskStartDelayMs: 5, taskStopDelayMs: 5, seed: 7, ...options });
  const clientOptions: AwsClientOptions = {
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestTimeoutMs: 10_000,
  };
  const ecs = createEcsClient(clientOptions);
  const sqs = createSqsClient(clientOptions, 20);
  return {
    aws,
    ecs,
    sqs,
    clientOptions,
    queueUrl: aws.queueUrl('blox_queue'),
    async close() {
      ecs.destroy();
      sqs.destroy();
      await aws.close();
    },
  };
}

export async function queueCounts(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })),
      }),
    );
    if (out.Failed?.length) throw new Error(`send failed: ${JSON.stringify(out.Failed)}`);
  }
}

/** Registers a task definition and runs `count` tasks on the cluster (RunTask, 10 per call). */
export async function runTasks(
  ecs: ECSClient,
  cluster: string,
  count: number,
  family = 'web',
): Promise<string[]> {
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'app', image: 'nginx', cpu: 16, memory: 16, essential: true }],
    }),
  );
  const arns: string[] = [];
  for (let left = count; left > 0; left -= 10) {
    const out = await ecs.send(
      new RunTaskCommand({ cluster, taskDefinition: family, count: Math.min(10, left) }),
    );
    if (out.failures?.length) throw new Error(`RunTask failures: ${JSON.stringify(out.failures)}`);
    arns.push(...(out.tasks ?? []).map((t) => t.taskArn!));
  }
  return arns;
}

const INSTANCE_STATUSES = [
  'ACTIVE',
  'DRAINING',
  'REGISTERING',
  'DEREGISTERING',
  'REGISTRATION_FAILED',
  'INACTIVE',
] as const;

/** ECS's truth over the SDK: entity id → ECS version, for every task and instance of every cluster. */
export async function ecsTruth(
  ecs: ECSClient,
  onlyClusters?: string[],
): Promise<{ tasks: Map<string, number>; instances: Map<string, number> }> {
  const tasks = new Map<string, number>();
  const instances = new Map<string, number>();
  const clusters: string[] = [];
  let token: string | undefined;
  do {
    const out = await ecs.send(new ListClustersCommand({ nextToken: token }));
    clusters.push(...(out.clusterArns ?? []));
    token = out.nextToken;
  } while (token);
  for (const cluster of clusters) {
    if (onlyClusters && !onlyClusters.includes(cluster.split('/').pop()!)) continue;
    const instanceArns: string[] = [];
    for (const status of INSTANCE_STATUSES) {
      let t: string | undefined;
      do {
        const out = await ecs.send(
          // INACTIVE is not in the SDK's filter enum; the emulator (like ECS, see docs/state-ingest.md) takes it
          new ListContainerInstancesCommand({ cluster, status: status as 'ACTIVE', nextToken: t }),
        );
        instanceArns.push(...(out.containerInstanceArns ?? []));
        t = out.nextToken;
      } while (t);
    }
    for (let i = 0; i < instanceArns.length; i += 100) {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({
          cluster,
          containerInstances: instanceArns.slice(i, i + 100),
        }),
      );
      for (const ci of out.containerInstances ?? [])
        instances.set(resourceId(ci.containerInstanceArn!), ci.version!);
    }
    const taskArns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let t: string | undefined;
      do {
        const out = await ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken: t }));
        taskArns.push(...(out.taskArns ?? []));
        t = out.nextToken;
      } while (t);
    }
    for (let i = 0; i < taskArns.length; i += 100) {
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + 100) }));
      for (const task of out.tasks ?? []) tasks.set(resourceId(task.taskArn!), task.version!);
    }
  }
  return { tasks, instances };
}
