import type { LocalAws } from '../../local/index.js';

/** The demo task definition `blox up` registers: a small daemon that fits every demo instance. */
export const DEMO_TASK_DEFINITION = {
  family: 'blox-demo-daemon',
  containerDefinitions: [
    {
      name: 'agent',
      image: 'public.ecr.aws/docker/library/busybox:latest',
      cpu: 128,
      memory: 128,
      essential: true,
      command: ['sh', '-c', 'while true; do sleep 30; done'],
    },
  ],
};

/** Instance types cycled through for the demo fleet, so it shows mixed sizes and zones. */
const DEMO_TYPES = ['m5.large', 't3.medium', 'c5.xlarge'];

/**
 * Creates the demo cluster with mixed instance types across zones and registers the demo task
 * definition — only on a fresh emulator, so a restart resumes the fleet it had.
 */
export async function seedDemo(aws: LocalAws, cluster: string, instances: number): Promise<boolean> {
  const existing = (await aws.ecs.call('DescribeClusters', { clusters: [cluster] })) as {
    clusters?: Array<{ status?: string }>;
  };
  if (existing.clusters?.some((c) => c.status === 'ACTIVE')) return false;
  await aws.ecs.call('CreateCluster', { clusterName: cluster });
  for (let i = 0; i < instances; i++) {
    aws.ecs.fleet.scale(cluster, i + 1, { instanceType: DEMO_TYPES[i % DEMO_TYPES.length]! });
  }
  await aws.ecs.call('RegisterTaskDefinition', DEMO_TASK_DEFINITION);
  return true;
}
