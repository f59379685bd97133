/**
 * Input validation shared by both backends, so that the same bad call fails the same way on
 * SQLite and on etcd, with a message that names what is wrong.
 */
import { FutureRevisionError, InvalidArgumentError } from './errors.js';
import {
  type CompactionPolicy,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  type Compare,
  type RangeOptions,
  type TxnOp,
  type TxnRequest,
  type WatchOptions,
} from './types.js';

/** Most operations one transaction may carry (etcd's default --max-txn-ops is 128). */
export const MAX_TXN_OPS = 128;
/** Most bytes of keys and values one transaction may write (etcd's default request limit is 1.5 MiB). */
export const MAX_TXN_BYTES = 1024 * 1024 + 256 * 1024;

export function validateKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  // Fast path: a string of n UTF-16 units has at most 3n UTF-8 bytes.
  if (key.length * 3 > MAX_KEY_BYTES) {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > MAX_KEY_BYTES) {
      throw new InvalidArgumentError(`${what} is ${bytes} bytes long; the limit is ${MAX_KEY_BYTES} bytes`, {
        bytes,
        limit: MAX_KEY_BYTES,
      });
    }
  }
}

export function validatePrefix(prefix: unknown, what = 'prefix'): asserts prefix is string {
  if (typeof prefix !== 'string')
    throw new InvalidArgumentError(`${what} must be a string, got ${typeof prefix}`);
  if (prefix.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(prefix, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`${what} is longer than ${MAX_KEY_BYTES} bytes`);
  }
}

export function validateValue(value: unknown, key: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`value of key "${key}" must be a string, got ${typeof value}`);
  }
  if (value.length * 3 > MAX_VALUE_BYTES) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) {
      throw new InvalidArgumentError(
        `value of key "${key}" is ${bytes} bytes long; the limit is ${MAX_VALUE_BYTES} bytes`,
        { key, bytes, limit: MAX_VALUE_BYTES },
      );
    }
  }
}

export function validateLeaseId(lease: unknown): void {
  if (lease === undefined) return;
  if (typeof lease !== 'string' || !/^[1-9][0-9]{0,19}$/.test(lease)) {
    throw new InvalidArgumentError(
      `lease must be a lease id returned by grantLease, got ${JSON.stringify(lease)}`,
    );
  }
}

/** A revision argument: a positive integer. */
export function validateRevisionArg(revision: unknown, what = 'revision'): asserts revision is number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(revision)}`, {
      [what]: revision,
    });
  }
}

/** A revision to read at: a positive integer not beyond the current revision. */
export function checkReadRevision(revision: number | undefined, current: number): void {
  if (revision === undefined) return;
  validateRevisionArg(revision);
  if (revision > current) throw new FutureRevisionError(revision, current);
}

export function validateRange(options: RangeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('range options must be an object with a prefix');
  }
  validatePrefix(options.prefix);
  if (options.limit !== undefined) {
    if (typeof options.limit !== 'number' || !Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new InvalidArgumentError(`limit must be a positive integer, got ${String(options.limit)}`);
    }
  }
  if (options.after !== undefined) {
    if (typeof options.after !== 'string' || options.after.length === 0) {
      throw new InvalidArgumentError('after must be a non-empty key (the previous page\'s "next")');
    }
    if (!options.after.startsWith(options.prefix)) {
      throw new InvalidArgumentError(
        `after ("${options.after}") must start with the prefix ("${options.prefix}"): pass the previous page's "next"`,
      );
    }
  }
  if (options.revision !== undefined) validateRevisionArg(options.revision);
}

export function validateTtl(ttlSeconds: unknown): asserts ttlSeconds is number {
  if (typeof ttlSeconds !== 'number' || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new InvalidArgumentError(
      `lease ttl must be a positive whole number of seconds, got ${String(ttlSeconds)}`,
    );
  }
}

export function validateWatch(prefix: string, options: WatchOptions): void {
  validatePrefix(prefix);
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('watch options must be an object');
  if (options.fromRevision !== undefined) validateRevisionArg(options.fromRevision, 'fromRevision');
  if (options.progressIntervalMs !== undefined) {
    const p = options.progressIntervalMs;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 10) {
      throw new InvalidArgumentError(`progressIntervalMs must be a number >= 10, got ${String(p)}`);
    }
  }
}

const COMPARE_TARGETS = new Set(['value', 'version', 'createRevision', 'modRevision']);
const COMPARE_OPS = new Set(['=', '!=', '<', '>']);

function validateCompare(c: Compare, i: number): void {
  if (typeof c !== 'object' || c === null) throw new InvalidArgumentError(`compare[${i}] must be an object`);
  validateKey(c.key, `compare[${i}].key`);
  if (!COMPARE_TARGETS.has(c.target)) {
    throw new InvalidArgumentError(
      `compare[${i}].target must be one of value, version, createRevision, modRevision; got ${String(c.target)}`,
    );
  }
  if (!COMPARE_OPS.has(c.op)) {
    throw new InvalidArgumentError(`compare[${i}].op must be one of =, !=, <, >; got ${String(c.op)}`);
  }
  if (c.target === 'value') {
    if (typeof c.value !== 'string')
      throw new InvalidArgumentError(`compare[${i}] on value needs a string value`);
  } else if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value) || c.value < 0) {
    throw new InvalidArgumentError(`compare[${i}] on ${c.target} needs a non-negative integer value`);
  }
}

function validateOps(ops: TxnOp[] | undefined, branch: string): void {
  if (ops === undefined) return;
  if (!Array.isArray(ops)) throw new InvalidArgumentError(`${branch} must be an array of operations`);
  const written = new Set<string>();
  const prefixes: string[] = [];
  ops.forEach((op, i) => {
    const where = `${branch}[${i}]`;
    if (typeof op !== 'object' || op === null) throw new InvalidArgumentError(`${where} must be an object`);
    switch (op.type) {
      case 'put':
      case 'delete':
        validateKey(op.key, `${where}.key`);
        if (op.type === 'put') {
          validateValue(op.value, op.key);
          validateLeaseId(op.lease);
        }
        if (written.has(op.key)) {
          throw new InvalidArgumentError(`${where}: key "${op.key}" is written twice in one transaction`);
        }
        written.add(op.key);
        break;
      case 'deletePrefix':
        validatePrefix(op.prefix, `${where}.prefix`);
        prefixes.push(op.prefix);
        break;
      case 'get':
        validateKey(op.key, `${where}.key`);
        break;
      default:
        throw new InvalidArgumentError(
          `${where}.type must be one of put, delete, deletePrefix, get; got ${String((op as { type: unknown }).type)}`,
        );
    }
  });
  for (const p of prefixes) {
    for (const k of written) {
      if (k.startsWith(p)) {
        throw new InvalidArgumentError(
          `${branch}: key "${k}" is also deleted by deletePrefix "${p}" in one transaction`,
        );
      }
    }
  }
}

export function validateTxn(request: TxnRequest): void {
  if (typeof request !== 'object' || request === null)
    throw new InvalidArgumentError('txn request must be an object');
  const compare = request.compare ?? [];
  if (!Array.isArray(compare)) throw new InvalidArgumentError('compare must be an array');
  compare.forEach(validateCompare);
  validateOps(request.success, 'success');
  validateOps(request.failure, 'failure');
  for (const ops of [request.success, request.failure]) {
    // Cheap bound first (3 bytes per UTF-16 unit at most); exact bytes only when it might be too big.
    let bound = 0;
    for (const op of ops ?? []) if (op.type === 'put') bound += (op.key.length + op.value.length) * 3;
    if (bound <= MAX_TXN_BYTES) continue;
    let bytes = 0;
    for (const op of ops ?? []) {
      if (op.type === 'put') bytes += Buffer.byteLength(op.key, 'utf8') + Buffer.byteLength(op.value, 'utf8');
    }
    if (bytes > MAX_TXN_BYTES) {
      throw new InvalidArgumentError(
        `a transaction writes at most ${MAX_TXN_BYTES} bytes of keys and values; this one writes ${bytes}: split it`,
        { bytes, limit: MAX_TXN_BYTES },
      );
    }
  }
  const n = compare.length + Math.max(request.success?.length ?? 0, request.failure?.length ?? 0);
  if (n > MAX_TXN_OPS) {
    throw new InvalidArgumentError(
      `a transaction carries at most ${MAX_TXN_OPS} compares and operations; got ${n}`,
    );
  }
}

/**
 * The smallest string greater than every string that starts with `prefix` (in UTF-8 byte order,
 * which is code point order), or undefined for the empty prefix (no upper bound).
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      let next = last + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** Compares two strings by UTF-8 bytes (code point order), as etcd and SQLite do. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Compaction defaults: keep 10,000 revisions and 1 hour of history, compact every minute. */
export const DEFAULT_COMPACTION: Required<CompactionPolicy> = {
  retainRevisions: 10_000,
  retainMs: 60 * 60 * 1000,
  intervalMs: 60 * 1000,
};

/** Fills defaults into a compaction policy and checks it. */
export function resolveCompaction(policy: CompactionPolicy | undefined): Required<CompactionPolicy> {
  if (policy !== undefined && (typeof policy !== 'object' || policy === null)) {
    throw new InvalidArgumentError(
      'compaction must be an object { retainRevisions?, retainMs?, intervalMs? }',
    );
  }
  const out = { ...DEFAULT_COMPACTION };
  for (const name of ['retainRevisions', 'retainMs', 'intervalMs'] as const) {
    const v = policy?.[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new InvalidArgumentError(`compaction.${name} must be a non-negative integer, got ${String(v)}`);
    }
    out[name] = v;
  }
  return out;
}
