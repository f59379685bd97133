/**
 * The one way to open a store: `openStore({ backend: 'sqlite', dataDir })` or
 * `openStore({ backend: 'etcd', endpoints: [...] })`.
 */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { isPageSize, PAGE_SIZE_RULE } from './sqlite/page-size.js';
import { SqliteStore } from './sqlite/store.js';
import type { CompactionPolicy, Store } from './types.js';
import { resolveCompaction } from './validate.js';

export interface SqliteOpenOptions {
  backend: 'sqlite';
  /** Directory of the database file `blox.db` (created if missing). */
  dataDir: string;
  /** 'normal' (default): survives a process crash; 'full': also survives power loss (slower). */
  synchronous?: 'normal' | 'full';
  /** Page size of a new database file (a power of two, 512–65536; default 4096); an existing file keeps its own. */
  pageSize?: number;
  compaction?: CompactionPolicy;
}

export interface EtcdOpenOptions {
  backend: 'etcd';
  endpoints: string[];
  /** Key prefix for everything this store writes (e.g. 'blox/'). */
  namespace?: string;
  dialTimeoutMs?: number;
  requestTimeoutMs?: number;
  compaction?: CompactionPolicy;
}

export type StoreOptions = SqliteOpenOptions | EtcdOpenOptions;

function positive(name: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
    throw new ConfigError(`store option ${name} must be a positive number of milliseconds, got ${String(v)}`);
  }
}

/** Opens a store. Bad options → ConfigError naming the option. */
export async function openStore(options: StoreOptions, logger: Logger = silentLogger): Promise<Store> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('store options must be an object with a backend ("sqlite" or "etcd")');
  }
  try {
    resolveCompaction(options.compaction);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  switch (options.backend) {
    case 'sqlite': {
      if (typeof options.dataDir !== 'string' || options.dataDir.trim() === '') {
        throw new ConfigError('the sqlite store needs dataDir: the directory to keep blox.db in');
      }
      if (
        options.synchronous !== undefined &&
        options.synchronous !== 'normal' &&
        options.synchronous !== 'full'
      ) {
        throw new ConfigError(
          `store option synchronous must be "normal" or "full", got ${String(options.synchronous)}`,
        );
      }
      const p = options.pageSize;
      if (p !== undefined && !isPageSize(p)) {
        throw new ConfigError(`store option pageSize must be ${PAGE_SIZE_RULE}, got ${String(p)}`);
      }
      return new SqliteStore({
        dataDir: options.dataDir,
        synchronous: options.synchronous,
        ...(p !== undefined ? { pageSize: p } : {}),
        compaction: options.compaction,
        logger: logger.child({ store: 'sqlite' }),
      });
    }
    case 'etcd': {
      if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
        throw new ConfigError(
          'the etcd store needs endpoints: at least one etcd client URL (http://host:2379)',
        );
      }
      positive('dialTimeoutMs', options.dialTimeoutMs);
      positive('requestTimeoutMs', options.requestTimeoutMs);
      if (options.namespace !== undefined && typeof options.namespace !== 'string') {
        throw new ConfigError('store option namespace must be a string');
      }
      // Loaded on demand: the etcd client (gRPC, protobuf) is half the modules of the CLI, and the
      // embedded store, the default, never needs it (it took a second of `blox up` start-up under load).
      const { EtcdStore } = await import('./etcd/store.js');
      try {
        return new EtcdStore({ ...options, logger: logger.child({ store: 'etcd' }) });
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    default:
      throw new ConfigError(
        `unknown store backend ${JSON.stringify((options as { backend?: unknown }).backend)}: use "sqlite" or "etcd"`,
      );
  }
}
