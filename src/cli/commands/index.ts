import type { CommandDefinition } from '../command.js';
import type { SettingSpec } from '../../core/config/index.js';

/** Every command of the binary, in help order. */
export const commands: Array<CommandDefinition<readonly SettingSpec[]>> = [];
