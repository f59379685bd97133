import type { CommandDefinition } from '../command.js';
import type { SettingSpec } from '../../core/config/index.js';
import { upCommand } from './up.js';
import { localAwsCommand } from './local-aws.js';
import { stateServiceCommand } from './state-service.js';

/** Every command of the binary, in help order. */
export const commands: Array<CommandDefinition<readonly SettingSpec[]>> = [
  upCommand as never,
  localAwsCommand as never,
  stateServiceCommand as never,
  (await import('./scheduler.js')).schedulerCommand as never,
];
