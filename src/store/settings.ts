import { defineSettings } from '../core/config/index.js';
import { ConfigError } from '../core/errors.js';
import { isPageSize, PAGE_SIZE_RULE } from './sqlite/page-size.js';
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
  {
    key: 'sqlitePageSize',
    flag: 'sqlite-page-size',
    env: 'BLOX_SQLITE_PAGE_SIZE',
    type: 'int',
    min: 512,
    max: 65536,
    placeholder: '<bytes>',
    description:
      'Page size of a new embedded store file: a power of two, default 4096 (an existing file keeps its own; larger pages trade single-key commits for ingest, see docs/store.md).',
  },
] as const);

export interface StoreSettingValues {
  etcdEndpoints: string[];
  store?: string | undefined;
  dataDir: string;
  sqlitePageSize?: number | undefined;
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
    if (config.sqlitePageSize !== undefined)
      throw new ConfigError(
        '--sqlite-page-size is a setting of the embedded store, and this command uses etcd: drop it (or BLOX_SQLITE_PAGE_SIZE)',
      );
    return {
      backend: 'etcd',
      endpoints: config.etcdEndpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`)),
      ...(compaction ? { compaction } : {}),
    };
  }
  const pageSize = config.sqlitePageSize;
  if (pageSize !== undefined && !isPageSize(pageSize))
    throw new ConfigError(
      `--sqlite-page-size must be ${PAGE_SIZE_RULE} (e.g. 4096 or 16384), got ${pageSize}`,
    );
  return {
    backend: 'sqlite',
    dataDir: config.dataDir,
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(compaction ? { compaction } : {}),
  };
}
