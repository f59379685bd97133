import { randomBytes, randomUUID } from 'node:crypto';
import { BloxError } from '../../core/errors.js';
import type { Compare, KeyValue, Store, TxnOp } from '../../store/types.js';
import type { Deployment, EnvironmentRecord, Revision } from './model.js';

/**
 * Persistence of environments, revisions and deployments in the store. Every write is a
 * compare-and-swap on the environment key's modRevision (retried on conflict by the callers
 * that can), so the API and the leader never lose each other's updates, and the deployment
 * token really guards concurrent deployers. Layout (all under `scheduler/`):
 *
 *   environments/<name>                 EnvironmentRecord
 *   revisions/<name>/<revision:8>       Revision (immutable)
 *   deployments/<name>/<inverted seq>   Deployment (ascending keys = newest first)
 *   deployment-ids/<name>/<id>          → deployment key
 *   tombstones/<name>:<uid>             a deleted environment whose tasks are being stopped
 */
export const SCHEDULER_PREFIX = 'scheduler/';
const ENV = `${SCHEDULER_PREFIX}environments/`;
const REV = `${SCHEDULER_PREFIX}revisions/`;
const DEP = `${SCHEDULER_PREFIX}deployments/`;
const DEP_ID = `${SCHEDULER_PREFIX}deployment-ids/`;
export const TOMBSTONES = `${SCHEDULER_PREFIX}tombstones/`;
const MAX_SEQ = 9_999_999_999;

export class RepositoryError extends BloxError {}

export class EnvironmentExistsError extends RepositoryError {
  constructor(name: string) {
    super(
      'EnvironmentExists',
      `Error saving environment ${name} to store: An environment with name ${name} already exists`,
      { status: 400 },
    );
  }
}

export class ConflictError extends RepositoryError {
  constructor(what: string) {
    super('Conflict', `${what} changed concurrently; try again`, { status: 409 });
  }
}

export interface Tombstone {
  name: string;
  uid: string;
  clusterArn: string;
  group: string;
  deletedAt: string;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

export interface Versioned<T> {
  value: T;
  modRevision: number;
}

export const newToken = (): string => randomUUID();
export const newUid = (): string => randomBytes(4).toString('hex');

export class EnvironmentRepository {
  constructor(private readonly store: Store) {}

  envKey(name: string): string {
    return `${ENV}${name}`;
  }

  revisionKey(name: string, revision: number): string {
    return `${REV}${name}/${String(revision).padStart(8, '0')}`;
  }

  deploymentKey(name: string, seq: number): string {
    return `${DEP}${name}/${String(MAX_SEQ - seq).padStart(10, '0')}`;
  }

  async create(record: EnvironmentRecord, revision: Revision): Promise<void> {
    const key = this.envKey(record.name);
    const res = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [
        { type: 'put', key, value: JSON.stringify(record) },
        {
          type: 'put',
          key: this.revisionKey(record.name, revision.revision),
          value: JSON.stringify(revision),
        },
      ],
    });
    if (!res.succeeded) throw new EnvironmentExistsError(record.name);
  }

  async get(name: string): Promise<Versioned<EnvironmentRecord> | undefined> {
    const kv = await this.store.get(this.envKey(name));
    return kv ? { value: JSON.parse(kv.value) as EnvironmentRecord, modRevision: kv.modRevision } : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<Page<EnvironmentRecord>> {
    return this.page(
      ENV,
      options,
      (kv) => JSON.parse(kv.value) as EnvironmentRecord,
      (kv) => kv.key.slice(ENV.length),
    );
  }

  async listAll(): Promise<EnvironmentRecord[]> {
    const out: EnvironmentRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.list({ limit: 500, ...(after !== undefined ? { after } : {}) });
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }

  async revision(name: string, revision: number): Promise<Revision | undefined> {
    const kv = await this.store.get(this.revisionKey(name, revision));
    return kv ? (JSON.parse(kv.value) as Revision) : undefined;
  }

  async listRevisions(name: string, options: { limit: number; after?: string }): Promise<Page<Revision>> {
    const prefix = `${REV}${name}/`;
    return this.page(
      prefix,
      options,
      (kv) => JSON.parse(kv.value) as Revision,
      (kv) => kv.key.slice(prefix.length),
    );
  }

  async deployment(name: string, id: string): Promise<Deployment | undefined> {
    const ref = await this.store.get(`${DEP_ID}${name}/${id}`);
    if (!ref) return undefined;
    const kv = await this.store.get(ref.value);
    return kv ? (JSON.parse(kv.value) as Deployment) : undefined;
  }

  /** Newest first. */
  async listDeployments(name: string, options: { limit: number; after?: string }): Promise<Page<Deployment>> {
    const prefix = `${DEP}${name}/`;
    return this.page(
      prefix,
      options,
      (kv) => JSON.parse(kv.value) as Deployment,
      (kv) => kv.key.slice(prefix.length),
    );
  }

  /**
   * Read-modify-write of an environment (and optionally deployments and a new revision) with a
   * compare on the environment's modRevision. `mutate` returns undefined to write nothing.
   * Conflicts are retried (re-running `mutate` on fresh data, which is pure) up to 5 times.
   */
  async update<T>(
    name: string,
    mutate: (env: EnvironmentRecord) =>
      | {
          env: EnvironmentRecord;
          deployments?: Deployment[];
          revision?: Revision;
          result: T;
        }
      | undefined
      | Promise<
          { env: EnvironmentRecord; deployments?: Deployment[]; revision?: Revision; result: T } | undefined
        >,
    options: { fence?: Compare; onMissing?: () => Error } = {},
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(name);
      if (!current) {
        if (options.onMissing) throw options.onMissing();
        return undefined;
      }
      const change = await mutate(current.value);
      if (!change) return undefined;
      const ops: TxnOp[] = [{ type: 'put', key: this.envKey(name), value: JSON.stringify(change.env) }];
      if (change.revision)
        ops.push({
          type: 'put',
          key: this.revisionKey(name, change.revision.revision),
          value: JSON.stringify(change.revision),
        });
      for (const d of change.deployments ?? []) {
        const key = this.deploymentKey(name, d.seq);
        ops.push({ type: 'put', key, value: JSON.stringify(d) });
        ops.push({ type: 'put', key: `${DEP_ID}${name}/${d.id}`, value: key });
      }
      const compare: Compare[] = [
        { key: this.envKey(name), target: 'modRevision', op: '=', value: current.modRevision },
      ];
      if (options.fence) compare.push(options.fence);
      const res = await this.store.txn({ compare, success: ops });
      if (res.succeeded) return change.result;
      if (options.fence) {
        const fenceOk = await this.store.txn({ compare: [options.fence] });
        if (!fenceOk.succeeded) throw new ConflictError('leadership');
      }
    }
    throw new ConflictError(`environment ${name}`);
  }

  /** Removes the environment and its history; leaves a tombstone so its tasks get stopped. */
  async delete(name: string, group: (env: EnvironmentRecord) => string): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(name);
      if (!current) return false;
      const env = current.value;
      const tombstone: Tombstone = {
        name,
        uid: env.uid,
        clusterArn: env.clusterArn,
        group: group(env),
        deletedAt: new Date().toISOString(),
      };
      const res = await this.store.txn({
        compare: [{ key: this.envKey(name), target: 'modRevision', op: '=', value: current.modRevision }],
        success: [
          { type: 'delete', key: this.envKey(name) },
          { type: 'deletePrefix', prefix: `${REV}${name}/` },
          { type: 'deletePrefix', prefix: `${DEP}${name}/` },
          { type: 'deletePrefix', prefix: `${DEP_ID}${name}/` },
          { type: 'put', key: `${TOMBSTONES}${name}:${env.uid}`, value: JSON.stringify(tombstone) },
        ],
      });
      if (res.succeeded) return true;
    }
    throw new ConflictError(`environment ${name}`);
  }

  async tombstones(): Promise<Tombstone[]> {
    const res = await this.store.range({ prefix: TOMBSTONES, limit: 1000, count: false });
    return res.items.map((kv) => JSON.parse(kv.value) as Tombstone);
  }

  async removeTombstone(t: Tombstone, fence?: Compare): Promise<void> {
    await this.store.txn({
      compare: fence ? [fence] : [],
      success: [{ type: 'delete', key: `${TOMBSTONES}${t.name}:${t.uid}` }],
    });
  }

  private async page<T>(
    prefix: string,
    options: { limit: number; after?: string },
    parse: (kv: KeyValue) => T,
    tokenOf: (kv: KeyValue) => string,
  ): Promise<Page<T>> {
    const res = await this.store.range({
      prefix,
      limit: options.limit,
      count: false,
      ...(options.after !== undefined ? { after: prefix + options.after } : {}),
    });
    const items = res.items.map(parse);
    const last = res.items[res.items.length - 1];
    return res.next && last ? { items, next: tokenOf(last) } : { items };
  }
}
