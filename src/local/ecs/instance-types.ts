/**
 * EC2 instance types the fleet simulation offers, with what the ECS agent registers for them:
 * CPU = 1024 units per vCPU; MEMORY = physical MiB minus the agent's usual reservation
 * (roughly what the agent reports after the kernel and ECS_RESERVED_MEMORY take their share).
 */
export interface InstanceTypeSpec {
  vcpus: number;
  /** Registered MEMORY in MiB. */
  memoryMiB: number;
  architecture: 'x86_64' | 'arm64';
}

export const INSTANCE_TYPES: Record<string, InstanceTypeSpec> = {
  't3.micro': { vcpus: 2, memoryMiB: 944, architecture: 'x86_64' },
  't3.small': { vcpus: 2, memoryMiB: 1955, architecture: 'x86_64' },
  't3.medium': { vcpus: 2, memoryMiB: 3928, architecture: 'x86_64' },
  't3.large': { vcpus: 2, memoryMiB: 7680, architecture: 'x86_64' },
  'm5.large': { vcpus: 2, memoryMiB: 7680, architecture: 'x86_64' },
  'm5.xlarge': { vcpus: 4, memoryMiB: 15576, architecture: 'x86_64' },
  'm5.2xlarge': { vcpus: 8, memoryMiB: 31413, architecture: 'x86_64' },
  'c5.large': { vcpus: 2, memoryMiB: 3790, architecture: 'x86_64' },
  'c5.xlarge': { vcpus: 4, memoryMiB: 7618, architecture: 'x86_64' },
  'r5.large': { vcpus: 2, memoryMiB: 15576, architecture: 'x86_64' },
  'm6g.large': { vcpus: 2, memoryMiB: 7680, architecture: 'arm64' },
  'c6g.xlarge': { vcpus: 4, memoryMiB: 7618, architecture: 'arm64' },
};

/** Ports the ECS agent reserves on every instance (SSH, Docker, agent introspection). */
export const DEFAULT_RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];

export const DEFAULT_AGENT_VERSION_INFO = {
  agentHash: '3f7b2c1',
  agentVersion: '1.89.2',
  dockerVersion: 'DockerVersion: 25.0.8',
};

/** The capability attributes (no value) a current Linux agent registers; representative, not complete. */
export const DEFAULT_CAPABILITIES = [
  'com.amazonaws.ecs.capability.logging-driver.awslogs',
  'com.amazonaws.ecs.capability.logging-driver.json-file',
  'com.amazonaws.ecs.capability.logging-driver.syslog',
  'com.amazonaws.ecs.capability.docker-remote-api.1.17',
  'com.amazonaws.ecs.capability.docker-remote-api.1.44',
  'com.amazonaws.ecs.capability.privileged-container',
  'com.amazonaws.ecs.capability.ecr-auth',
  'com.amazonaws.ecs.capability.task-iam-role',
  'com.amazonaws.ecs.capability.task-iam-role-network-host',
  'ecs.capability.execution-role-awslogs',
  'ecs.capability.execution-role-ecr-pull',
  'ecs.capability.container-health-check',
  'ecs.capability.task-eni',
  'ecs.capability.secrets.asm.environment-variables',
];
