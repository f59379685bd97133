import { BloxError, errorMessage } from '../../core/errors.js';
import type { EventFaults } from '../events/index.js';
import { ERROR_CODE_HEADER } from '../../core/api-error-wire.js';

export const DEFAULT_LOCAL_AWS_ENDPOINT = 'http://127.0.0.1:4566';

/** Talks to a running emulator's admin API (used by the `blox local-aws <subcommand>` commands and tests). */
export class LocalAwsAdminClient {
  readonly endpoint: string;

  constructor(endpoint: string = DEFAULT_LOCAL_AWS_ENDPOINT) {
    this.endpoint = endpoint.replace(/\/+$/, '');
  }

  status(): Promise<Record<string, unknown>> {
    return this.request('GET', 'status');
  }

  instances(cluster: string): Promise<{ instances: Array<Record<string, unknown>> }> {
    return this.request('GET', `clusters/${encodeURIComponent(cluster)}/instances`);
  }

  scale(
    cluster: string,
    count: number,
    spec: {
      instanceType?: string;
      availabilityZones?: string[];
      attributes?: Record<string, string | null>;
    } = {},
  ): Promise<{ added: string[]; removed: string[] }> {
    return this.request('POST', `clusters/${encodeURIComponent(cluster)}/scale`, { count, ...spec });
  }

  removeInstances(cluster: string, instancesOrCount: string[] | number): Promise<{ removed: string[] }> {
    const body =
      typeof instancesOrCount === 'number' ? { count: instancesOrCount } : { instances: instancesOrCount };
    return this.request('POST', `clusters/${encodeURIComponent(cluster)}/remove-instances`, body);
  }

  killInstance(instance: string): Promise<unknown> {
    return this.request('POST', 'instances/kill', { instance });
  }

  setAgentConnected(instance: string, connected: boolean): Promise<unknown> {
    return this.request('POST', `instances/${connected ? 'reconnect' : 'disconnect'}`, { instance });
  }

  crashTasks(selector: Record<string, unknown>): Promise<{ crashed: string[] }> {
    return this.request('POST', 'tasks/crash', selector);
  }

  faults(): Promise<{ faults: EventFaults; seed: number }> {
    return this.request('GET', 'faults');
  }

  setFaults(
    faults: Partial<EventFaults> & { seed?: number },
  ): Promise<{ faults: EventFaults; seed: number }> {
    return this.request('PUT', 'faults', faults);
  }

  flushEvents(): Promise<unknown> {
    return this.request('POST', 'events/flush');
  }

  setThrottling(enabled: boolean, rates?: Record<string, unknown>): Promise<{ enabled: boolean }> {
    return this.request('PUT', 'throttling', rates ? { enabled, rates } : { enabled });
  }

  reset(): Promise<unknown> {
    return this.request('POST', 'reset');
  }

  snapshot(file?: string): Promise<{ file: string }> {
    return this.request('POST', 'snapshot', file ? { file } : {});
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.endpoint}/_blox/${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new BloxError(
        'EmulatorUnreachable',
        `cannot reach the local AWS emulator at ${this.endpoint} (${errorMessage(cause ?? err)}); start it with "blox local-aws" or pass --endpoint / BLOX_LOCAL_AWS_ENDPOINT`,
        { status: 503 },
      );
    }
    const text = await response.text();
    // Only Blox's own API marks its errors so; it answers every /_blox/ path "no route …".
    if (response.headers.get(ERROR_CODE_HEADER) !== null)
      throw new BloxError(
        'NotAnEmulator',
        `${this.endpoint} is not the local AWS emulator (it answered "${text.trim()}", as Blox's own API does); pass the emulator's address, which "blox up" prints, with --endpoint or BLOX_LOCAL_AWS_ENDPOINT`,
        { status: 502 },
      );
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new BloxError(
        'BadResponse',
        `${this.endpoint} answered ${method} /_blox/${path} with non-JSON (is it a Blox emulator?)`,
        {
          status: 502,
        },
      );
    }
    if (!response.ok) {
      const { code, message } = (parsed ?? {}) as { code?: string; message?: string };
      throw new BloxError(code ?? 'AdminRequestFailed', message ?? `HTTP ${response.status}`, {
        status: response.status,
      });
    }
    return parsed as T;
  }
}
