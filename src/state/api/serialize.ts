import type { ContainerInstanceDetail, TaskDetail } from '../../core/ecs/entities.js';
import type { IndexChange } from '../index/change-log.js';
import type { IndexEntry } from '../index/entry.js';
import { toV03Instance, toV03Task } from './v03-shape.js';

/**
 * Entity representations on the wire:
 * - `v03` (default): Blox v0.3's entity JSON, so v0.3 clients keep working;
 * - `native`: the stored entity as Blox keeps it (`{kind, account, region, cluster, detail, source,
 *   observedAt}`, detail = the full ECS document incl. `version`, `group`, `launchType`): what
 *   the SDK and the scheduler use.
 */
export type EntityFormat = 'v03' | 'native';
export const ENTITY_FORMATS: readonly EntityFormat[] = ['v03', 'native'];

const ITEM_PREFIX = '{"entity":';
const metadataSuffix = (revision: number) => `,"metadata":{"entityVersion":"${revision}"}}`;

/**
 * One list item / stream line: `{"entity":…,"metadata":{"entityVersion":"N"}}` (v0.3's shape).
 * Built once per entry and format (entries are immutable per revision), so a list of 10,000 is
 * one join of cached strings.
 */
export function itemJson(entry: IndexEntry, format: EntityFormat): string {
  const cache = entry.cache;
  if (format === 'native') return (cache.native ??= ITEM_PREFIX + entry.raw + metadataSuffix(entry.revision));
  if (cache.v03 !== undefined) return cache.v03;
  const detail = entry.entity.detail;
  const entity =
    entry.kind === 'task'
      ? toV03Task(detail as TaskDetail)
      : toV03Instance(detail as ContainerInstanceDetail);
  return (cache.v03 = ITEM_PREFIX + JSON.stringify(entity) + metadataSuffix(entry.revision));
}

/** The entity JSON of one entry (the cached item without its envelope). */
export function entityJson(entry: IndexEntry, format: EntityFormat): string {
  const item = itemJson(entry, format);
  return item.slice(ITEM_PREFIX.length, item.length - metadataSuffix(entry.revision).length);
}

/**
 * A stream line for a change. Puts are exactly v0.3's line; deletes add `"type":"delete"` and
 * carry the last known entity with the delete's revision (a v0.3 client decoding the line into
 * a Task ignores the unknown field).
 */
export function changeJson(change: IndexChange, format: EntityFormat): string {
  if (change.type === 'put') return itemJson(change.entry, format);
  return `{"type":"delete","entity":${entityJson(change.entry, format)},"metadata":{"entityVersion":"${change.revision}"}}`;
}

/** A bookmark: every matching change up to `revision` has been sent. Carries no entity. */
export function bookmarkJson(revision: number): string {
  return `{"type":"bookmark","metadata":{"entityVersion":"${revision}"}}`;
}

/** `{"items":[…]}` (+ `nextToken` when a page follows), built from cached item strings. */
export function listJson(entries: readonly IndexEntry[], format: EntityFormat, nextToken?: string): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) parts[i] = itemJson(entries[i]!, format);
  const tail = nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(nextToken)}`;
  return `{"items":[${parts.join(',')}]${tail}}\n`;
}

/** UTF-8 size of the cached item of an entry (cached alongside it: a one-byte string's size is its length). */
export function itemBytes(entry: IndexEntry, format: EntityFormat): number {
  const cache = entry.cache;
  if (format === 'native') return (cache.nativeBytes ??= Buffer.byteLength(itemJson(entry, format)));
  return (cache.v03Bytes ??= Buffer.byteLength(itemJson(entry, format)));
}

/** A list document as Buffers of about `chunkBytes` each, with its exact size up front (Content-Length). */
export interface ListBody {
  /** Size of the whole document in bytes (its Content-Length). */
  readonly byteLength: number;
  /**
   * A reader from the document's start. Each call copies the next whole items into `into` and
   * returns the filled part of it; an item larger than `into` comes back alone in a new Buffer;
   * an empty Buffer means the end. `into` can be reused once its bytes have been written out.
   */
  reader(): (into: Buffer) => Buffer;
  /** The document in fresh Buffers of about `chunkBytes` each (default 64 KiB). */
  chunks(chunkBytes?: number): Generator<Buffer>;
}

const LIST_HEAD = '{"items":[';

/**
 * The same document as listJson, copied straight from the cached item strings into Buffers: no
 * joined string of a 10,000-item list (~8–12 MB) is built, encoded and thrown away per request,
 * the caller can reuse its Buffers, and the size is known before the first byte (a Content-Length
 * instead of chunked encoding). Items that are plain ASCII (the usual case: their UTF-8 size equals
 * their length) are copied byte for byte, the rest UTF-8 encoded.
 */
export function listBody(entries: readonly IndexEntry[], format: EntityFormat, nextToken?: string): ListBody {
  const tail = `]${nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(nextToken)}`}}\n`;
  const tailBytes = Buffer.byteLength(tail);
  const n = entries.length;
  let byteLength = LIST_HEAD.length + tailBytes + Math.max(0, n - 1);
  for (let i = 0; i < n; i++) byteLength += itemBytes(entries[i]!, format);

  // The document is a sequence of pieces: the head, each item (after a comma but the first), the tail.
  const pieceBytes = (k: number) =>
    k === 0 ? LIST_HEAD.length : k > n ? tailBytes : itemBytes(entries[k - 1]!, format) + (k > 1 ? 1 : 0);
  const writePiece = (k: number, buf: Buffer, off: number): number => {
    if (k === 0) return off + buf.write(LIST_HEAD, off, 'latin1');
    if (k > n) return off + buf.write(tail, off, 'utf8');
    const entry = entries[k - 1]!;
    if (k > 1) buf[off++] = 0x2c; // ','
    const text = itemJson(entry, format);
    const bytes = itemBytes(entry, format);
    return off + buf.write(text, off, bytes, bytes === text.length ? 'latin1' : 'utf8');
  };

  const reader = () => {
    let k = 0;
    return (into: Buffer): Buffer => {
      let off = 0;
      while (k <= n + 1) {
        const bytes = pieceBytes(k);
        if (off + bytes > into.length) {
          if (off > 0) break;
          const alone = Buffer.allocUnsafe(bytes);
          writePiece(k++, alone, 0);
          return alone;
        }
        off = writePiece(k++, into, off);
      }
      return into.subarray(0, off);
    };
  };

  function* chunks(chunkBytes = 64 * 1024): Generator<Buffer> {
    const read = reader();
    for (let done = 0; done < byteLength;) {
      const chunk = read(Buffer.allocUnsafe(Math.min(chunkBytes, byteLength - done)));
      done += chunk.length;
      yield chunk;
    }
  }

  return { byteLength, reader, chunks };
}
