import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { startEtcd } from '../../support/etcd.js';
import { tempDir } from '../../support/env.js';

/**
 * Opens a real store of each backend for the cluster-state write-side tests: embedded SQLite in
 * a temp dir and a real single-member etcd. `open()` gives a fresh, empty store each call (etcd:
 * a new namespace on the same server); `close()` releases everything.
 */
export interface Backend {
  name: 'sqlite' | 'etcd';
  open(): Promise<Store>;
  close(): Promise<void>;
}

export async function sqliteBackend(): Promise<Backend & { dataDir: () => Promise<string> }> {
  const dirs: Array<{ cleanup: () => Promise<void> }> = [];
  const stores: Store[] = [];
  return {
    name: 'sqlite',
    async dataDir() {
      const d = await tempDir('blox-state-');
      dirs.push(d);
      return d.path;
    },
    async open() {
      const d = await tempDir('blox-state-');
      dirs.push(d);
      const s = await openStore({ backend: 'sqlite', dataDir: d.path, compaction: { intervalMs: 0 } });
      stores.push(s);
      return s;
    },
    async close() {
      for (const s of stores) await s.close();
      for (const d of dirs) await d.cleanup();
    },
  };
}

let namespaceSeq = 0;

export async function etcdBackend(): Promise<Backend> {
  const etcd = await startEtcd();
  const stores: Store[] = [];
  return {
    name: 'etcd',
    async open() {
      const s = await openStore({
        backend: 'etcd',
        endpoints: etcd.endpoints,
        namespace: `t${process.pid}-${++namespaceSeq}/`,
        compaction: { intervalMs: 0 },
      });
      stores.push(s);
      return s;
    },
    async close() {
      for (const s of stores) await s.close();
      await etcd.stop();
    },
  };
}

export const BACKENDS: Array<() => Promise<Backend>> = [sqliteBackend, etcdBackend];
