/**
 * The etcd a scenario runs against: the one member bench/run.ts started for the whole suite (its
 * endpoints come in the scenario context), or, when a scenario is run without one, its own.
 * Scenarios keep to their own key prefixes; run.ts empties and compacts etcd between scenarios so
 * one scenario's data never weighs on the next.
 */
import { Etcd3 } from 'etcd3';
import { startEtcd } from '../../test/support/etcd.js';
import type { ScenarioContext } from './types.js';

export interface BenchEtcd {
  endpoints: string[];
  /** Stops the member if this scenario started it; a shared member is left to run.ts. */
  stop(): Promise<void>;
}

/** The suite's shared etcd, or a member of this scenario's own; undefined when etcd is not benchmarked. */
export async function etcdFor(ctx: ScenarioContext): Promise<BenchEtcd | undefined> {
  if (!ctx.backends.includes('etcd')) return undefined;
  if (ctx.etcdEndpoints?.length) return { endpoints: ctx.etcdEndpoints, stop: async () => undefined };
  const own = await startEtcd();
  return { endpoints: own.endpoints, stop: () => own.stop() };
}

/** Deletes every key, compacts the history and defragments, so the next scenario starts on an empty member. */
export async function emptyEtcd(endpoints: string[]): Promise<void> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    const res = await client.kv.deleteRange({ key: Buffer.from([0]), range_end: Buffer.from([0]) });
    await client.kv.compact({ revision: res.header.revision, physical: true });
    await client.maintenance.defragment();
  } finally {
    client.close();
  }
}
