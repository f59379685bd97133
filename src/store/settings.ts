import { defineSettings } from '../core/config/index.js';
import { ConfigError } from '../core/errors.js';
import type { CompactionPolicy } from './types.js';
import type { StoreOptions } from './open.js';

/**
 * The store settings every long-running command shares (`blox up`, `state-service`, `scheduler`):
 * declared once so the flags, environment variables and their meaning are the same everywhere.
 */
export const storeSettings = defineSettings([
  {
    key: 'etcdEndpoints',
    flag: 'etcd-endpoint',
    env: 'BLOX_ETCD_ENDPOINTS',
    type: 'list',
    default: [],
    placeholder: '<host:port>',
    description:
      'etcd client endpoint (repeatable, or comma-separated). Giving one selects the etcd store; replicas on one etcd share state.',
  },
  {
    key: 'store',
    flag: 'store',
    env: 'BLOX_STORE',
    type: 'enum',
    choices: ['sqlite', 'etcd'],
    description:
      'Store backend; default etcd when --etcd-endpoint is given, otherwise the embedded SQLite store.',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'BLOX_DATA_DIR',
    type: 'string',
    default: './.blox',
    placeholder: '<dir>',
    description: 'Directory of the embedded (SQLite) store.',
  },
] as const);

export interface StoreSettingValues {
  etcdEndpoints: string[];
  store?: string | undefined;
  dataDir: string;
}

/** The openStore options the store settings select. */
export function storeOptionsFromSettings(
  config: StoreSettingValues,
  compaction?: CompactionPolicy,
): StoreOptions {
  const backend = config.store ?? (config.etcdEndpoints.length > 0 ? 'etcd' : 'sqlite');
  if (backend === 'etcd') {
    if (config.etcdEndpoints.length === 0)
      throw new ConfigError(
        '--store etcd needs at least one --etcd-endpoint host:port (or BLOX_ETCD_ENDPOINTS)',
      );
    return {
      backend: 'etcd',
      endpoints: config.etcdEndpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`)),
      ...(compaction ? { compaction } : {}),
    };
  }
  return { backend: 'sqlite', dataDir: config.dataDir, ...(compaction ? { compaction } : {}) };
}
