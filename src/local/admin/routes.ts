import { BloxError, errorMessage } from '../../core/errors.js';
import { parseFaults, type EventFaults } from '../events/index.js';
import type { EmulatorRequest, EmulatorResponse, ServiceHandler } from '../http/types.js';
import { AdminError } from './errors.js';

export const ADMIN_PREFIX = '/_blox/';

/** What the admin API drives; emulator.ts implements it over the ECS, SQS and event emulators. */
export interface AdminTarget {
  status(): Record<string, unknown>;
  instances(cluster: string): unknown[];
  scale(
    cluster: string,
    count: number,
    spec: { instanceType?: string; availabilityZones?: string[]; attributes?: Record<string, string | null> },
  ): { added: string[]; removed: string[] };
  removeInstances(cluster: string, instancesOrCount: string[] | number): string[];
  killInstance(arn: string): void;
  setAgentConnected(arn: string, connected: boolean): void;
  crashTasks(selector: Record<string, unknown>): string[];
  faults(): { faults: EventFaults; seed: number };
  setFaults(faults: Partial<EventFaults>, seed?: number): void;
  flushEvents(): void;
  throttling(): { enabled: boolean; rates?: unknown };
  setThrottling(enabled: boolean, rates?: Record<string, unknown>): void;
  reset(): void;
  saveSnapshot(file?: string): Promise<string>;
}

type Body = Record<string, unknown>;
type Route = (target: AdminTarget, body: Body, params: string[]) => unknown;

/**
 * The fleet-simulation and fault-knob API under /_blox/: JSON in and out, 4xx with
 * `{code, message}` for bad requests. Documented in docs/local-aws.md.
 */
const ROUTES: Array<{ method: string; pattern: RegExp; run: Route }> = [
  { method: 'GET', pattern: /^status$/, run: (t) => t.status() },
  {
    method: 'GET',
    pattern: /^clusters\/([^/]+)\/instances$/,
    run: (t, _b, [c]) => ({ instances: t.instances(c!) }),
  },
  {
    method: 'POST',
    pattern: /^clusters\/([^/]+)\/scale$/,
    run: (t, b, [c]) =>
      t.scale(c!, integer(b, 'count', 0, 10_000, true)!, {
        ...optional('instanceType', str(b, 'instanceType')),
        ...optional('availabilityZones', stringList(b, 'availabilityZones')),
        ...optional('attributes', attributes(b)),
      }),
  },
  {
    method: 'POST',
    pattern: /^clusters\/([^/]+)\/remove-instances$/,
    run: (t, b, [c]) => {
      const list = stringList(b, 'instances');
      const count = integer(b, 'count', 1, 10_000, false);
      if ((list === undefined) === (count === undefined))
        throw new AdminError(
          'InvalidRequest',
          'give either "instances" (a list of container instance ARNs or ids) or "count"',
        );
      return { removed: t.removeInstances(c!, list ?? count!) };
    },
  },
  {
    method: 'POST',
    pattern: /^instances\/(kill|disconnect|reconnect)$/,
    run: (t, b, [action]) => {
      const arn = str(b, 'instance', true)!;
      if (action === 'kill') t.killInstance(arn);
      else t.setAgentConnected(arn, action === 'reconnect');
      return { instance: arn, action };
    },
  },
  { method: 'POST', pattern: /^tasks\/crash$/, run: (t, b) => ({ crashed: t.crashTasks(crashSelector(b)) }) },
  { method: 'GET', pattern: /^faults$/, run: (t) => t.faults() },
  {
    method: 'PUT',
    pattern: /^faults$/,
    run: (t, b) => {
      const faults = parseFaults(b);
      const seed = integer(b, 'seed', 0, 2 ** 32 - 1, false);
      t.setFaults(faults, seed);
      return t.faults();
    },
  },
  { method: 'POST', pattern: /^events\/flush$/, run: (t) => (t.flushEvents(), { flushed: true }) },
  { method: 'GET', pattern: /^throttling$/, run: (t) => t.throttling() },
  {
    method: 'PUT',
    pattern: /^throttling$/,
    run: (t, b) => {
      if (typeof b.enabled !== 'boolean')
        throw new AdminError('InvalidRequest', '"enabled" must be true or false, e.g. {"enabled":true}');
      const rates = b.rates;
      if (rates !== undefined && (typeof rates !== 'object' || rates === null || Array.isArray(rates)))
        throw new AdminError('InvalidRequest', '"rates" must be an object of {category: {burst, perSecond}}');
      t.setThrottling(b.enabled, rates as Record<string, unknown> | undefined);
      return t.throttling();
    },
  },
  { method: 'POST', pattern: /^reset$/, run: (t) => (t.reset(), { reset: true }) },
  {
    method: 'POST',
    pattern: /^snapshot$/,
    run: async (t, b) => ({ file: await t.saveSnapshot(str(b, 'file')) }),
  },
];

export function createAdminHandler(target: AdminTarget): ServiceHandler {
  // declines other requests synchronously: every AWS call passes here first
  return (request) => (request.path.startsWith(ADMIN_PREFIX) ? answer(target, request) : undefined);
}

async function answer(target: AdminTarget, request: EmulatorRequest): Promise<EmulatorResponse> {
  try {
    const path = request.path.slice(ADMIN_PREFIX.length).replace(/\/$/, '');
    const matching = ROUTES.filter((r) => r.pattern.test(path));
    if (matching.length === 0)
      throw new AdminError(
        'NotFound',
        `no admin endpoint ${request.path}; see docs/local-aws.md for the list`,
        404,
      );
    const route = matching.find((r) => r.method === request.method);
    if (!route)
      throw new AdminError(
        'MethodNotAllowed',
        `${request.method} is not allowed on ${request.path}; use ${matching.map((r) => r.method).join(' or ')}`,
        405,
      );
    const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    const result = await route.run(target, parseBody(request), params);
    return json(200, result);
  } catch (err) {
    if (err instanceof BloxError) return json(err.status, { code: err.code, message: err.message });
    // Errors from the emulated services (FleetError, SnapshotError, AwsError) are the caller's doing.
    const code = err instanceof Error && err.name !== 'Error' ? err.name : 'InvalidRequest';
    return json(400, { code, message: errorMessage(err) });
  }
}

function json(status: number, body: unknown): EmulatorResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function parseBody(request: EmulatorRequest): Body {
  if (request.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new AdminError('InvalidJson', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AdminError('InvalidRequest', 'the request body must be a JSON object');
  return parsed as Body;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function str(body: Body, key: string, required = false): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw new AdminError('InvalidRequest', `"${key}" is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value === '')
    throw new AdminError('InvalidRequest', `"${key}" must be a non-empty string`);
  return value;
}

function integer(body: Body, key: string, min: number, max: number, required: boolean): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required)
      throw new AdminError('InvalidRequest', `"${key}" is required (an integer from ${min} to ${max})`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new AdminError(
      'InvalidRequest',
      `"${key}" must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  return value;
}

function stringList(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === ''))
    throw new AdminError('InvalidRequest', `"${key}" must be a list of non-empty strings`);
  return value as string[];
}

function attributes(body: Body): Record<string, string | null> | undefined {
  const value = body.attributes;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new AdminError('InvalidRequest', '"attributes" must be an object of name → value (or null)');
  for (const [k, v] of Object.entries(value))
    if (v !== null && typeof v !== 'string')
      throw new AdminError('InvalidRequest', `attribute "${k}" must have a string value or null`);
  return value as Record<string, string | null>;
}

function crashSelector(body: Body): Record<string, unknown> {
  const selector: Record<string, unknown> = {
    ...optional('cluster', str(body, 'cluster')),
    ...optional('taskArns', stringList(body, 'taskArns')),
    ...optional('containerInstance', str(body, 'containerInstance')),
    ...optional('family', str(body, 'family')),
    ...optional('group', str(body, 'group')),
    ...optional('count', integer(body, 'count', 1, 100_000, false)),
    ...optional('exitCode', integer(body, 'exitCode', 0, 255, false)),
  };
  if (!selector.cluster && !selector.taskArns && !selector.containerInstance)
    throw new AdminError(
      'InvalidRequest',
      'say which tasks to crash: "cluster", "taskArns" or "containerInstance"',
    );
  return selector;
}
