import { AwsError } from '../http/aws-error.js';

/**
 * ECS request throttling: one token bucket per action category (per account and Region, which is
 * the whole emulator), with the burst and sustained rates AWS publishes
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). Off by
 * default. An empty bucket answers ThrottlingException "Rate exceeded", which the SDKs retry.
 */

export type ThrottleCategory =
  | 'clusterRead'
  | 'clusterModify'
  | 'clusterResourceRead'
  | 'clusterResourceModify'
  | 'agentModify'
  | 'taskDefinitionRead'
  | 'taskDefinitionModify';

export interface BucketRate {
  /** Bucket size: requests allowed at once. */
  burst: number;
  /** Refill per second. */
  perSecond: number;
}

export const DEFAULT_RATES: Record<ThrottleCategory, BucketRate> = {
  clusterRead: { burst: 50, perSecond: 20 },
  // Not in AWS's table; CreateCluster/DeleteCluster are rare, so the same as cluster read.
  clusterModify: { burst: 50, perSecond: 20 },
  clusterResourceRead: { burst: 100, perSecond: 20 },
  clusterResourceModify: { burst: 100, perSecond: 40 },
  agentModify: { burst: 200, perSecond: 120 },
  taskDefinitionRead: { burst: 50, perSecond: 20 },
  taskDefinitionModify: { burst: 20, perSecond: 1 },
};

export const OPERATION_CATEGORY: Record<string, ThrottleCategory> = {
  DescribeClusters: 'clusterRead',
  ListClusters: 'clusterRead',
  CreateCluster: 'clusterModify',
  DeleteCluster: 'clusterModify',
  DescribeContainerInstances: 'clusterResourceRead',
  DescribeTasks: 'clusterResourceRead',
  ListAttributes: 'clusterResourceRead',
  ListContainerInstances: 'clusterResourceRead',
  ListTasks: 'clusterResourceRead',
  DeleteAttributes: 'clusterResourceModify',
  DeregisterContainerInstance: 'clusterResourceModify',
  PutAttributes: 'clusterResourceModify',
  RunTask: 'clusterResourceModify',
  StartTask: 'clusterResourceModify',
  StopTask: 'clusterResourceModify',
  UpdateContainerInstancesState: 'clusterResourceModify',
  RegisterContainerInstance: 'agentModify',
  DescribeTaskDefinition: 'taskDefinitionRead',
  ListTaskDefinitions: 'taskDefinitionRead',
  ListTaskDefinitionFamilies: 'taskDefinitionRead',
  RegisterTaskDefinition: 'taskDefinitionModify',
  DeregisterTaskDefinition: 'taskDefinitionModify',
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class Throttle {
  private enabled = false;
  private rates: Record<ThrottleCategory, BucketRate> = { ...DEFAULT_RATES };
  private buckets = new Map<ThrottleCategory, Bucket>();

  constructor(private readonly now: () => number) {}

  configure(enabled: boolean, rates?: Partial<Record<ThrottleCategory, Partial<BucketRate>>>): void {
    this.enabled = enabled;
    const next = { ...DEFAULT_RATES };
    for (const [k, v] of Object.entries(rates ?? {})) {
      const category = k as ThrottleCategory;
      if (!(category in DEFAULT_RATES))
        throw new Error(`unknown throttle category '${k}'; known: ${Object.keys(DEFAULT_RATES).join(', ')}`);
      const merged = { ...DEFAULT_RATES[category], ...v };
      if (!(merged.burst >= 1) || !(merged.perSecond >= 0))
        throw new Error(`throttle rate for '${k}' needs burst >= 1 and perSecond >= 0`);
      next[category] = merged;
    }
    this.rates = next;
    this.buckets.clear();
  }

  settings(): { enabled: boolean; rates: Record<ThrottleCategory, BucketRate> } {
    return { enabled: this.enabled, rates: { ...this.rates } };
  }

  /** Takes one token for the operation or throws ThrottlingException. */
  take(operation: string): void {
    if (!this.enabled) return;
    const category = OPERATION_CATEGORY[operation];
    if (!category) return;
    const rate = this.rates[category];
    const now = this.now();
    let bucket = this.buckets.get(category);
    if (!bucket) this.buckets.set(category, (bucket = { tokens: rate.burst, updatedAt: now }));
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rate.perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) throw new AwsError('ThrottlingException', 'Rate exceeded');
    bucket.tokens -= 1;
  }
}
