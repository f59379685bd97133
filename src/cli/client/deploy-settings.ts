import { defineSettings } from '../../core/config/index.js';
import { endpointSettings, outputSetting } from './settings.js';

export const waitSettings = defineSettings([
  {
    key: 'wait',
    flag: 'wait',
    type: 'boolean',
    default: false,
    description: 'Follow the deployment with a progress bar until it ends; exit 1 when it fails.',
  },
  {
    key: 'timeout',
    flag: 'timeout',
    env: 'BLOX_WAIT_TIMEOUT',
    type: 'duration',
    min: 1000,
    default: 600_000,
    description: 'With --wait: stop waiting (exit 1) after this long; the deployment goes on.',
  },
] as const);

export const deploySettings = defineSettings([
  {
    key: 'revision',
    flag: 'revision',
    type: 'int',
    min: 1,
    placeholder: '<n>',
    description: 'Revision to deploy (default: the latest).',
  },
  ...waitSettings,
  outputSetting,
  ...endpointSettings,
] as const);

export const rollbackSettings = defineSettings([
  {
    key: 'to',
    flag: 'to',
    type: 'int',
    min: 1,
    placeholder: '<revision>',
    description: 'Revision to roll back to (default: the one before the last completed deployment).',
  },
  ...waitSettings,
  outputSetting,
  ...endpointSettings,
] as const);
