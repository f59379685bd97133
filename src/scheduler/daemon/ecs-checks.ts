import { DescribeClustersCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { errorMessage } from '../../core/errors.js';
import { notFound } from '../../server/http-error.js';

/**
 * The checks CreateEnvironment/UpdateEnvironment make against ECS, with Blox v0.3's messages.
 * v0.3 crashed with a 500 on an unknown cluster; here it is a 404 that says so.
 */
export interface EcsChecks {
  /** The cluster's ARN; throws a 404 HttpError when missing or inactive. */
  clusterArn(cluster: string): Promise<string>;
  /** The task definition's ARN; throws a 404 HttpError when missing or inactive. */
  taskDefinitionArn(taskDefinition: string): Promise<string>;
}

export function ecsChecks(ecs: ECSClient): EcsChecks {
  return {
    async clusterArn(cluster) {
      let out;
      try {
        out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      } catch (err) {
        throw notFound(
          `Error calling DescribeClusters for cluster ${cluster}: ${awsText(err)}`,
          'ClusterNotFound',
        );
      }
      const c = out.clusters?.[0];
      if (!c || !c.clusterArn)
        throw notFound(
          `Cluster ${cluster} does not exist: create it in ECS first or check the name and region`,
          'ClusterNotFound',
        );
      if (c.status === 'INACTIVE') throw notFound('Cluster is inactive', 'ClusterInactive');
      return c.clusterArn;
    },
    async taskDefinitionArn(taskDefinition) {
      let out;
      try {
        out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      } catch (err) {
        throw notFound(
          `Error calling DescribeTaskDefinition for taskDefinition ${taskDefinition}: ${awsText(err)}`,
          'TaskDefinitionNotFound',
        );
      }
      const td = out.taskDefinition;
      if (!td?.taskDefinitionArn)
        throw notFound(
          `Error calling DescribeTaskDefinition for taskDefinition ${taskDefinition}: not found`,
          'TaskDefinitionNotFound',
        );
      if (td.status === 'INACTIVE') throw notFound('TaskDefinition is inactive', 'TaskDefinitionInactive');
      return td.taskDefinitionArn;
    },
  };
}

/** The AWS error as aws-sdk-go printed it: `<Code>: <message>`. */
function awsText(err: unknown): string {
  const name = (err as { name?: string }).name;
  return name && name !== 'Error' ? `${name}: ${errorMessage(err)}` : errorMessage(err);
}
