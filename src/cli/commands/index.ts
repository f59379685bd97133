import type { CommandDefinition } from '../command.js';
import type { SettingSpec } from '../../core/config/index.js';
import { upCommand } from './up.js';
import { localAwsCommand } from './local-aws.js';
import { stateServiceCommand } from './state-service.js';
import { instancesCommand } from './instances.js';
import { tasksCommand } from './tasks.js';
import { envCommand } from './env.js';
import { deployCommand } from './deploy.js';
import { rollbackCommand } from './rollback.js';
import { deploymentsCommand } from './deployments.js';
import { completionCommand } from './completion.js';

/** Every command of the binary, in help order. */
export const commands: Array<CommandDefinition<readonly SettingSpec[]>> = [
  upCommand as never,
  localAwsCommand as never,
  stateServiceCommand as never,
  (await import('./scheduler.js')).schedulerCommand as never,
  instancesCommand as never,
  tasksCommand as never,
  envCommand as never,
  deployCommand as never,
  rollbackCommand as never,
  deploymentsCommand as never,
  completionCommand as never,
];
