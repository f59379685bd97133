import { ConfigError } from '../../core/errors.js';
import type { EnvironmentInput } from './scheduler-client.js';

/** The env flags `create` and `update` turn into a request body. */
export interface EnvFlags {
  cluster?: string | undefined;
  taskDefinition?: string | undefined;
  attribute?: string[] | undefined;
  query?: string | undefined;
  maxUnavailable?: string | undefined;
  failureThreshold?: string | undefined;
  autoRollback?: boolean | undefined;
  foreignTasks?: string | undefined;
}

/** "3" → 3, "25%" stays a string: the API takes a count or a percentage. */
export function countOrPercent(value: string, flag: string): number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d+(\.\d+)?%$/.test(value)) return value;
  throw new ConfigError(`--${flag} must be a count such as 1 or a percentage such as 25%; got "${value}"`);
}

/** `name=value` or `name` → `{name, value?}`. */
export function parseAttribute(raw: string): { name: string; value?: string } {
  const eq = raw.indexOf('=');
  const name = eq < 0 ? raw : raw.slice(0, eq);
  if (name === '') throw new ConfigError(`--attribute "${raw}" needs a name: name=value or name`);
  return eq < 0 ? { name } : { name, value: raw.slice(eq + 1) };
}

/**
 * The request body of create (with name) or update (without) from the flags; only what was
 * given is sent, so an update changes nothing else. Pure; bad values throw ConfigError.
 */
export function environmentInput(flags: EnvFlags, name?: string): EnvironmentInput {
  const body: EnvironmentInput = {};
  if (name !== undefined) body.name = name;
  if (flags.taskDefinition) body.taskDefinition = flags.taskDefinition;
  const group: NonNullable<EnvironmentInput['instanceGroup']> = {};
  if (flags.cluster) group.cluster = flags.cluster;
  if (flags.attribute?.length) group.attributes = flags.attribute.map(parseAttribute);
  if (flags.query !== undefined) group.query = flags.query;
  if (Object.keys(group).length > 0) body.instanceGroup = group;
  const config: NonNullable<EnvironmentInput['deploymentConfiguration']> = {};
  if (flags.maxUnavailable !== undefined)
    config.maxUnavailable = countOrPercent(flags.maxUnavailable, 'max-unavailable');
  if (flags.failureThreshold !== undefined)
    config.failureThreshold = countOrPercent(flags.failureThreshold, 'failure-threshold');
  if (flags.autoRollback !== undefined) config.autoRollback = flags.autoRollback;
  if (Object.keys(config).length > 0) body.deploymentConfiguration = config;
  if (flags.foreignTasks !== undefined) body.foreignTasks = flags.foreignTasks;
  return body;
}
