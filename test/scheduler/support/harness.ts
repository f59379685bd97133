import { RegisterTaskDefinitionCommand, CreateClusterCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { createEcsClient } from '../../../src/aws/clients.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startLocalAws, type LocalAws } from '../../../src/local/emulator.js';

/** The local AWS emulator on a free port, with an ECS client of the real SDK talking HTTP to it. */
export async function startAws(options: Parameters<typeof startLocalAws>[0] = {}): Promise<{
  aws: LocalAws;
  ecs: ECSClient;
  close(): Promise<void>;
}> {
  const aws = await startLocalAws({ port: 0, seed: 7, logger: silentLogger, ...options });
  const ecs = createEcsClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
  });
  return {
    aws,
    ecs,
    async close() {
      ecs.destroy();
      await aws.close();
    },
  };
}

export async function createCluster(ecs: ECSClient, name: string): Promise<string> {
  const out = await ecs.send(new CreateClusterCommand({ clusterName: name }));
  return out.cluster!.clusterArn!;
}

export async function registerTaskDefinition(ecs: ECSClient, family: string, memory = 10): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [
        {
          name: 'main',
          image: 'ubuntu',
          memory,
          cpu: 0,
          essential: true,
          command: ['bash', '-c', 'while true; do sleep 5; done'],
        },
      ],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}
