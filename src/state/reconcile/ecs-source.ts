import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  type ContainerInstance,
  type ContainerInstanceStatus,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { withBackoff } from '../../aws/backoff.js';
import type { TokenBucket } from '../../aws/rate-limiter.js';
import type { ReconcileMetrics } from './metrics.js';

/**
 * The ECS reads of a reconcile pass, each paced by a shared token bucket and retried with
 * jittered exponential backoff on ThrottlingException (on top of the SDK's own few retries).
 */

/**
 * Instance statuses listed one by one: ListContainerInstances without a status returns everything
 * except INACTIVE. INACTIVE is last; ECS's API reference does not list it as a filter value, so if
 * ECS refuses it the pass goes on without it (stored INACTIVE instances are terminal and left to
 * retention either way).
 */
export const INSTANCE_LIST_STATUSES = [
  'ACTIVE',
  'DRAINING',
  'REGISTERING',
  'DEREGISTERING',
  'REGISTRATION_FAILED',
  'INACTIVE',
] as const;
export const TASK_LIST_DESIRED_STATUSES = ['RUNNING', 'STOPPED'] as const;
export const DESCRIBE_BATCH = 100;

export interface EcsSourceDeps {
  ecs: ECSClient;
  bucket: TokenBucket;
  metrics: ReconcileMetrics;
  throttleRetries: number;
  pageSize: number;
  signal: AbortSignal;
  onThrottle?: (op: string, attempt: number, delayMs: number) => void;
}

export class EcsSource {
  constructor(private readonly d: EcsSourceDeps) {}

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return withBackoff(
      async () => {
        await this.d.bucket.take(this.d.signal);
        if (this.d.signal.aborted) throw new Error('reconcile stopped');
        this.d.metrics.ecsCalls.inc({ op });
        return fn();
      },
      {
        maxAttempts: this.d.throttleRetries,
        baseMs: 200,
        maxMs: 20_000,
        signal: this.d.signal,
        onRetry: (_err, attempt, delayMs) => {
          this.d.metrics.throttled.inc({ op });
          this.d.onThrottle?.(op, attempt, delayMs);
        },
      },
    );
  }

  async listClusters(): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.call('ListClusters', () =>
        this.d.ecs.send(new ListClustersCommand({ nextToken, maxResults: this.d.pageSize }), {
          abortSignal: this.d.signal,
        }),
      );
      arns.push(...(out.clusterArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns;
  }

  /** Every container-instance ARN of the cluster, all statuses. `inactiveListed` is false when ECS refused the INACTIVE filter. */
  async listInstanceArns(
    cluster: string,
    onPage: (n: number) => void,
  ): Promise<{ arns: string[]; inactiveListed: boolean }> {
    const arns = new Set<string>();
    let inactiveListed = true;
    for (const status of INSTANCE_LIST_STATUSES) {
      try {
        let nextToken: string | undefined;
        do {
          const out = await this.call('ListContainerInstances', () =>
            this.d.ecs.send(
              new ListContainerInstancesCommand({
                cluster,
                status: status as ContainerInstanceStatus,
                nextToken,
                maxResults: this.d.pageSize,
              }),
              { abortSignal: this.d.signal },
            ),
          );
          for (const a of out.containerInstanceArns ?? []) arns.add(a);
          onPage(arns.size);
          nextToken = out.nextToken;
        } while (nextToken);
      } catch (err) {
        if (status === 'INACTIVE' && (err as { name?: string }).name === 'InvalidParameterException') {
          inactiveListed = false;
          continue;
        }
        throw err;
      }
    }
    return { arns: [...arns], inactiveListed };
  }

  async listTaskArns(cluster: string, onPage: (n: number) => void): Promise<string[]> {
    const arns = new Set<string>();
    for (const desiredStatus of TASK_LIST_DESIRED_STATUSES) {
      let nextToken: string | undefined;
      do {
        const out = await this.call('ListTasks', () =>
          this.d.ecs.send(
            new ListTasksCommand({ cluster, desiredStatus, nextToken, maxResults: this.d.pageSize }),
            {
              abortSignal: this.d.signal,
            },
          ),
        );
        for (const a of out.taskArns ?? []) arns.add(a);
        onPage(arns.size);
        nextToken = out.nextToken;
      } while (nextToken);
    }
    return [...arns];
  }

  async describeInstances(cluster: string, arns: string[]): Promise<ContainerInstance[]> {
    const out = await this.call('DescribeContainerInstances', () =>
      this.d.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }), {
        abortSignal: this.d.signal,
      }),
    );
    return out.containerInstances ?? [];
  }

  async describeTasks(cluster: string, arns: string[]): Promise<Task[]> {
    const out = await this.call('DescribeTasks', () =>
      this.d.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }), { abortSignal: this.d.signal }),
    );
    return out.tasks ?? [];
  }
}
