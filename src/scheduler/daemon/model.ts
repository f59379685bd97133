/**
 * The daemon scheduler's data model: an Environment (what to run where), its immutable
 * Revisions (one per create/update) and its Deployments (the rollout of one revision).
 * These are the records kept in the store; the HTTP shapes are built from them in api/.
 */

/** Deployment lifecycle. v0.3 clients see `status` mapped: pending, running (= in_progress), completed. */
export const DEPLOYMENT_STATES = ['pending', 'in_progress', 'completed', 'failed', 'rolled_back'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** What to do with tasks of the environment's task definition that some other party started (v0.3 #92). */
export const FOREIGN_TASK_POLICIES = ['ignore', 'adopt'] as const;
export type ForeignTaskPolicy = (typeof FOREIGN_TASK_POLICIES)[number];

export type Health = 'healthy' | 'unhealthy';

/** Which instances of the cluster are eligible, beyond ACTIVE + agent connected. */
export interface InstanceFilter {
  /** Every listed attribute must be present (and equal `value` when given). */
  attributes?: Array<{ name: string; value?: string }>;
  /** An ECS cluster query language expression, e.g. `attribute:stack == prod`. */
  query?: string;
}

export interface DeploymentConfiguration {
  /** How many eligible instances may be without a running daemon task during a rollout: a count or "N%". */
  maxUnavailable: number | string;
  /** The rollout fails when more instances than this failed to run the new revision: a count or "N%". */
  failureThreshold: number | string;
  /** On failure, deploy the last completed revision again. */
  autoRollback: boolean;
}

export const DEFAULT_DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  maxUnavailable: 1,
  failureThreshold: '10%',
  autoRollback: true,
};

/** One immutable version of an environment's desired state. */
export interface Revision {
  environment: string;
  /** 1, 2, 3… per environment. */
  revision: number;
  /** Full task-definition ARN, as ECS normalised it. */
  taskDefinition: string;
  instanceFilter: InstanceFilter;
  deploymentConfiguration: DeploymentConfiguration;
  foreignTasks: ForeignTaskPolicy;
  createdAt: string;
}

export interface EnvironmentRecord {
  name: string;
  /** Random id of this incarnation of the name, so a re-created environment never owns the tasks of a deleted one. */
  uid: string;
  /** Full cluster ARN (fixed for the environment's life). */
  clusterArn: string;
  /** Optimistic-concurrency token: changes with every update and every deployment. */
  token: string;
  latestRevision: number;
  /** Revision of the last completed deployment (what steady state enforces). */
  activeRevision?: number;
  /** Pending or in-progress deployment, if any. */
  currentDeployment?: string;
  /** The most recent deployment of any state. */
  lastDeployment?: string;
  /** Sequence number of the last deployment created (orders deployments). */
  deploymentSeq: number;
  health: Health;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceFailure {
  instance: string;
  reason: string;
  /** The task that failed, when the failure was a task that stopped on its own. */
  task?: string;
  at: string;
  /** How many times this instance has failed in this deployment. */
  attempts: number;
}

/** Status counts, as a Kubernetes DaemonSet reports them. */
export interface StatusCounts {
  /** Eligible instances. */
  desired: number;
  /** Eligible instances with a (non-stopping) daemon task of any revision. */
  current: number;
  /** Eligible instances whose daemon task runs the target revision. */
  updated: number;
  /** Eligible instances whose daemon task is RUNNING. */
  available: number;
  /** Eligible instances where the target revision failed to start or keep running. */
  failed: number;
  /** Daemon tasks on instances that are not eligible (being stopped). */
  misscheduled: number;
}

export interface Deployment {
  id: string;
  environment: string;
  seq: number;
  revision: number;
  taskDefinition: string;
  state: DeploymentState;
  /** Token of the environment the deployment was created against. */
  token: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  failures: InstanceFailure[];
  /** Set on deployments the scheduler created to roll back a failed one. */
  rollbackOf?: string;
  /** Set on a failed deployment that was rolled back. */
  rolledBackBy?: string;
  /** Why it failed or ended, in one sentence. */
  reason?: string;
  /** Last counts the leader observed for this deployment. */
  counts?: StatusCounts;
  /** Largest number of eligible instances without a running daemon task seen during the rollout. */
  maxUnavailableSeen?: number;
}

/** The ECS `group` of every task the scheduler starts for an environment incarnation. */
export function environmentGroup(env: Pick<EnvironmentRecord, 'name' | 'uid'>): string {
  return `blox:${env.name}:${env.uid}`;
}

/** Prefix of every group the daemon scheduler uses (foreign-task detection). */
export const GROUP_PREFIX = 'blox:';

export function v03Status(state: DeploymentState): string {
  switch (state) {
    case 'pending':
      return 'pending';
    case 'in_progress':
      return 'running';
    default:
      return state;
  }
}
