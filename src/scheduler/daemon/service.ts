import { randomUUID } from 'node:crypto';
import { clusterName } from '../../core/arn.js';
import { badRequest, notFound } from '../../server/http-error.js';
import type { EcsChecks } from './ecs-checks.js';
import { transition } from './lifecycle.js';
import { environmentGroup, type Deployment, type EnvironmentRecord, type Revision } from './model.js';
import type { EnvironmentRepository } from './repository.js';
import { newToken, newUid, type Page } from './repository.js';
import type { CreateEnvironmentInput, UpdateEnvironmentInput } from './validate.js';

/**
 * What the API does with environments and deployments, independent of HTTP: validation against
 * ECS, token checks (optimistic concurrency), revisions, deployment creation and rollback.
 */
export class EnvironmentService {
  constructor(
    readonly repo: EnvironmentRepository,
    private readonly ecs: EcsChecks,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: CreateEnvironmentInput): Promise<{ env: EnvironmentRecord; revision: Revision }> {
    // v0.3 order: cluster, then task definition, then uniqueness.
    const clusterArn = await this.ecs.clusterArn(input.cluster);
    const taskDefinition = await this.ecs.taskDefinitionArn(input.taskDefinition);
    const at = this.now().toISOString();
    const env: EnvironmentRecord = {
      name: input.name,
      uid: newUid(),
      clusterArn,
      token: newToken(),
      latestRevision: 1,
      deploymentSeq: 0,
      health: 'healthy',
      createdAt: at,
      updatedAt: at,
    };
    const revision: Revision = {
      environment: input.name,
      revision: 1,
      taskDefinition,
      instanceFilter: input.instanceFilter,
      deploymentConfiguration: input.deploymentConfiguration,
      foreignTasks: input.foreignTasks,
      createdAt: at,
    };
    await this.repo.create(env, revision);
    return { env, revision };
  }

  async get(name: string): Promise<{ env: EnvironmentRecord; revision: Revision }> {
    const found = await this.repo.get(name);
    if (!found) throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    const revision = await this.repo.revision(name, found.value.latestRevision);
    if (!revision) throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    return { env: found.value, revision };
  }

  /** v0.3 filter semantics: an ARN matches exactly, a name matches the ARN's `/name` suffix. */
  async list(
    filter: { cluster?: string },
    paging: { limit: number; after?: string },
  ): Promise<Page<{ env: EnvironmentRecord; revision: Revision }>> {
    const items: Array<{ env: EnvironmentRecord; revision: Revision }> = [];
    let after = paging.after;
    for (;;) {
      const page = await this.repo.list({ limit: paging.limit, ...(after !== undefined ? { after } : {}) });
      for (const env of page.items) {
        if (filter.cluster && !clusterMatches(env.clusterArn, filter.cluster)) continue;
        const revision = await this.repo.revision(env.name, env.latestRevision);
        if (revision) items.push({ env, revision });
        if (items.length === paging.limit) {
          return env.name === page.items[page.items.length - 1]!.name && !page.next
            ? { items }
            : { items, next: env.name };
        }
      }
      if (!page.next) return { items };
      after = page.next;
    }
  }

  /** A new immutable revision; the token rotates. Deploy it with createDeployment. */
  async update(
    name: string,
    token: string,
    input: UpdateEnvironmentInput,
  ): Promise<{ env: EnvironmentRecord; revision: Revision }> {
    const { env: current, revision: latest } = await this.get(name);
    if (input.cluster !== undefined && clusterName(input.cluster) !== clusterName(current.clusterArn))
      throw badRequest(
        `instanceGroup.cluster cannot change (the environment runs on ${current.clusterArn}): create a new environment for another cluster`,
        'ValidationError',
      );
    const taskDefinition =
      input.taskDefinition !== undefined
        ? await this.ecs.taskDefinitionArn(input.taskDefinition)
        : latest.taskDefinition;
    const at = this.now().toISOString();
    const result = await this.repo.update(
      name,
      (env) => {
        checkToken(env, token);
        const revision: Revision = {
          environment: name,
          revision: env.latestRevision + 1,
          taskDefinition,
          instanceFilter: input.instanceFilter ?? latest.instanceFilter,
          deploymentConfiguration: { ...latest.deploymentConfiguration, ...input.deploymentConfiguration },
          foreignTasks: input.foreignTasks ?? latest.foreignTasks,
          createdAt: at,
        };
        const next: EnvironmentRecord = {
          ...env,
          latestRevision: revision.revision,
          token: newToken(),
          updatedAt: at,
        };
        return { env: next, revision, result: { env: next, revision } };
      },
      { onMissing: () => notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound') },
    );
    return result!;
  }

  async delete(name: string): Promise<void> {
    await this.repo.delete(name, environmentGroup);
  }

  /**
   * v0.3 CreateDeployment, for real: the token must be current (and rotates), one deployment at
   * a time. `revision` defaults to the latest; an earlier one is an explicit rollback.
   */
  async createDeployment(
    name: string,
    token: string,
    options: { revision?: number; rollback?: boolean } = {},
  ): Promise<Deployment> {
    const at = this.now().toISOString();
    const missing = () => notFound(`Environment with name '${name}' does not exist`, 'EnvironmentNotFound');
    const pre = await this.repo.get(name);
    if (!pre) throw missing();
    let target = options.revision ?? pre.value.latestRevision;
    let superseded: Deployment | undefined;
    if (options.rollback) {
      superseded = pre.value.currentDeployment
        ? await this.repo.deployment(name, pre.value.currentDeployment)
        : undefined;
      if (options.revision === undefined) target = await this.previousRevision(name, pre.value);
    }
    const revision = await this.repo.revision(name, target);
    if (!revision)
      throw notFound(`Revision ${target} does not exist for environment ${name}`, 'RevisionNotFound');
    const result = await this.repo.update(
      name,
      (env) => {
        checkToken(env, token);
        const deployments: Deployment[] = [];
        if (env.currentDeployment) {
          if (!options.rollback || !superseded || superseded.id !== env.currentDeployment)
            throw badRequest(
              `There is already a deployment in progress: ${env.currentDeployment}`,
              'DeploymentInProgress',
            );
          let old =
            superseded.state === 'pending' || superseded.state === 'in_progress'
              ? transition(superseded, 'failed', at, { reason: 'stopped by an explicit rollback' })
              : superseded;
          if (old.state === 'failed') old = transition(old, 'rolled_back', at);
          deployments.push(old);
        }
        const seq = env.deploymentSeq + 1;
        const d: Deployment = {
          id: randomUUID(),
          environment: name,
          seq,
          revision: revision.revision,
          taskDefinition: revision.taskDefinition,
          state: 'pending',
          token,
          createdAt: at,
          failures: [],
        };
        if (options.rollback && env.lastDeployment) d.rollbackOf = env.lastDeployment;
        if (deployments[0]) deployments[0] = { ...deployments[0], rolledBackBy: d.id };
        deployments.push(d);
        const next: EnvironmentRecord = {
          ...env,
          token: newToken(),
          deploymentSeq: seq,
          currentDeployment: d.id,
          lastDeployment: d.id,
          updatedAt: at,
        };
        return { env: next, deployments, result: d };
      },
      { onMissing: missing },
    );
    return result!;
  }

  async getDeployment(name: string, id: string): Promise<Deployment> {
    if (!(await this.repo.get(name)))
      throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    const d = await this.repo.deployment(name, id);
    if (!d) throw notFound(`Deployment ${id} does not exist for environment ${name}`, 'DeploymentNotFound');
    return d;
  }

  async listDeployments(name: string, paging: { limit: number; after?: string }): Promise<Page<Deployment>> {
    if (!(await this.repo.get(name)))
      throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    return this.repo.listDeployments(name, paging);
  }

  async listRevisions(name: string, paging: { limit: number; after?: string }): Promise<Page<Revision>> {
    if (!(await this.repo.get(name)))
      throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    return this.repo.listRevisions(name, paging);
  }

  async getRevision(name: string, revision: number): Promise<Revision> {
    if (!(await this.repo.get(name)))
      throw notFound(`Environment ${name} does not exist`, 'EnvironmentNotFound');
    const r = await this.repo.revision(name, revision);
    if (!r) throw notFound(`Revision ${revision} does not exist for environment ${name}`, 'RevisionNotFound');
    return r;
  }

  /** The revision to roll back to: the newest completed deployment's revision other than the current target. */
  private async previousRevision(name: string, env: EnvironmentRecord): Promise<number> {
    const last = env.lastDeployment ? await this.repo.deployment(name, env.lastDeployment) : undefined;
    let after: string | undefined;
    for (;;) {
      const page = await this.repo.listDeployments(name, {
        limit: 100,
        ...(after !== undefined ? { after } : {}),
      });
      for (const d of page.items)
        if (d.state === 'completed' && d.revision !== last?.revision) return d.revision;
      if (!page.next) break;
      after = page.next;
    }
    throw badRequest(
      `Environment ${name} has no earlier completed revision to roll back to: pass {"revision": N} explicitly`,
      'NothingToRollBackTo',
    );
  }
}

function checkToken(env: EnvironmentRecord, token: string): void {
  if (token !== env.token)
    throw badRequest(
      `Token '${token}' is outdated and does not match the environment token '${env.token}'`,
      'StaleDeploymentToken',
    );
}

function clusterMatches(clusterArn: string, filter: string): boolean {
  return filter.startsWith('arn:') ? clusterArn === filter : clusterArn.endsWith(`/${filter}`);
}
