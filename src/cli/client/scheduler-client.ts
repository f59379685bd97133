import { ApiError, UnreachableError } from './errors.js';
import { readErrorAnswer } from '../../core/api-error-wire.js';

/** An environment as the scheduler API returns it (v0.3 fields first, then Blox's). */
export interface EnvironmentView {
  name: string;
  instanceGroup: { cluster: string; attributes?: Array<{ name: string; value?: string }>; query?: string };
  taskDefinition: string;
  deploymentToken: string;
  health: string;
  revision: number;
  activeRevision?: number;
  deploymentConfiguration?: {
    maxUnavailable: number | string;
    failureThreshold: number | string;
    autoRollback: boolean;
  };
  foreignTasks?: string;
  currentDeployment?: string;
  lastDeployment?: string;
  status?: StatusCounts;
  createdAt?: string;
  updatedAt?: string;
}

export interface StatusCounts {
  desired: number;
  current: number;
  updated: number;
  available: number;
  failed: number;
  misscheduled: number;
}

export interface DeploymentView {
  id: string;
  environmentName: string;
  status: string;
  state: 'pending' | 'in_progress' | 'completed' | 'failed' | 'rolled_back';
  taskDefinition: string;
  revision: number;
  failedInstances: string[];
  failures?: Array<{ instance: string; reason: string; attempts?: number }>;
  counts?: StatusCounts;
  reason?: string;
  rollbackOf?: string;
  rolledBackBy?: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

export interface RevisionView {
  environment: string;
  revision: number;
  taskDefinition: string;
  createdAt: string;
  [field: string]: unknown;
}

export interface EnvironmentInput {
  name?: string;
  instanceGroup?: { cluster?: string; attributes?: Array<{ name: string; value?: string }>; query?: string };
  taskDefinition?: string;
  deploymentConfiguration?: Partial<NonNullable<EnvironmentView['deploymentConfiguration']>>;
  foreignTasks?: string;
}

/** Deployment states after which nothing changes any more. */
export const FINAL_STATES = ['completed', 'failed', 'rolled_back'] as const;

/**
 * A small typed client of the daemon scheduler API (/v1/environments…). Every failure becomes
 * an UnreachableError or an ApiError carrying the endpoint, so the CLI can say what to fix.
 */
export class SchedulerClient {
  private readonly base: string;

  constructor(
    endpoint: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = endpoint.replace(/\/+$/, '');
  }

  get endpoint(): string {
    return this.base;
  }

  createEnvironment(input: EnvironmentInput): Promise<EnvironmentView> {
    return this.call('POST', '/v1/environments', input);
  }

  async listEnvironments(cluster?: string): Promise<EnvironmentView[]> {
    const out: EnvironmentView[] = [];
    let nextToken: string | undefined;
    do {
      const q = new URLSearchParams({ maxResults: '1000' });
      if (cluster) q.set('cluster', cluster);
      if (nextToken) q.set('nextToken', nextToken);
      const page = await this.call<{ items: EnvironmentView[]; nextToken?: string }>(
        'GET',
        `/v1/environments?${q}`,
      );
      out.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  getEnvironment(name: string): Promise<EnvironmentView> {
    return this.call('GET', `/v1/environments/${encodeURIComponent(name)}`);
  }

  updateEnvironment(name: string, token: string, input: EnvironmentInput): Promise<EnvironmentView> {
    return this.call(
      'PUT',
      `/v1/environments/${encodeURIComponent(name)}?deploymentToken=${encodeURIComponent(token)}`,
      input,
    );
  }

  async deleteEnvironment(name: string): Promise<void> {
    await this.call('DELETE', `/v1/environments/${encodeURIComponent(name)}`);
  }

  deploy(name: string, token: string, revision?: number): Promise<DeploymentView> {
    return this.call(
      'POST',
      `/v1/environments/${encodeURIComponent(name)}/deployments?deploymentToken=${encodeURIComponent(token)}`,
      revision === undefined ? undefined : { revision },
    );
  }

  rollback(name: string, token: string, revision?: number): Promise<DeploymentView> {
    return this.call(
      'POST',
      `/v1/environments/${encodeURIComponent(name)}/rollback?deploymentToken=${encodeURIComponent(token)}`,
      revision === undefined ? undefined : { revision },
    );
  }

  async listDeployments(name: string): Promise<DeploymentView[]> {
    const out: DeploymentView[] = [];
    let nextToken: string | undefined;
    do {
      const q = new URLSearchParams({ maxResults: '1000' });
      if (nextToken) q.set('nextToken', nextToken);
      const page = await this.call<{ items: DeploymentView[]; nextToken?: string }>(
        'GET',
        `/v1/environments/${encodeURIComponent(name)}/deployments?${q}`,
      );
      out.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  getDeployment(name: string, id: string): Promise<DeploymentView> {
    return this.call(
      'GET',
      `/v1/environments/${encodeURIComponent(name)}/deployments/${encodeURIComponent(id)}`,
    );
  }

  async listRevisions(name: string): Promise<RevisionView[]> {
    const out: RevisionView[] = [];
    let nextToken: string | undefined;
    do {
      const q = new URLSearchParams({ maxResults: '1000' });
      if (nextToken) q.set('nextToken', nextToken);
      const page = await this.call<{ items: RevisionView[]; nextToken?: string }>(
        'GET',
        `/v1/environments/${encodeURIComponent(name)}/revisions?${q}`,
      );
      out.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(this.base, 'scheduler', err);
    }
    const text = await res.text();
    if (!res.ok) {
      const { code, message } = readErrorAnswer(
        res.status,
        res.statusText,
        (name) => res.headers.get(name),
        text,
      );
      throw new ApiError(res.status, code, message, this.base, 'scheduler');
    }
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }
}
