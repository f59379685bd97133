/**
 * Declarative settings: every command lists the settings it reads once, and the same list
 * drives the command-line flags, the environment variables, the config file keys, validation
 * and the configuration reference (docs/configuration.md is checked against these lists).
 */
export type SettingType = 'string' | 'int' | 'number' | 'boolean' | 'duration' | 'list' | 'enum' | 'address';

export interface SettingSpec {
  /** Key in the config file and in the loaded object (camelCase). */
  key: string;
  /** Long flag without dashes, e.g. `etcd-endpoint`. */
  flag: string;
  /** Environment variable, e.g. `BLOX_ETCD_ENDPOINTS`. */
  env?: string;
  type: SettingType;
  description: string;
  default?: unknown;
  /** For `enum`. */
  choices?: readonly string[];
  min?: number;
  max?: number;
  required?: boolean;
  /** Extra check; return a message saying what is wrong, or undefined. */
  validate?: (value: unknown) => string | undefined;
  /** Placeholder in help, e.g. `<host:port>`. */
  placeholder?: string;
}

export function defineSettings<const T extends readonly SettingSpec[]>(specs: T): T {
  return specs;
}

/** Settings every command shares. */
export const commonSettings = defineSettings([
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'BLOX_LOG_LEVEL',
    type: 'enum',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    default: 'info',
    description: 'Log level.',
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    env: 'BLOX_LOG_FORMAT',
    type: 'enum',
    choices: ['auto', 'json', 'pretty'],
    default: 'auto',
    description: 'Log format: JSON lines, human-readable, or auto (pretty on a terminal).',
  },
  {
    key: 'config',
    flag: 'config',
    env: 'BLOX_CONFIG',
    type: 'string',
    placeholder: '<file>',
    description: 'Optional YAML or JSON config file; its keys are the camelCase names of the settings.',
  },
] as const);
