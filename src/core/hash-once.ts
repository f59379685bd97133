import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/**
 * Node's one-shot hash (`crypto.hash`, 20.12+): no Hash object per call, which was a visible
 * share of the ingest's CPU (an MD5 per message body, two SHA-256 per signed request). Older
 * Node falls back to createHash.
 */
const native = (
  crypto as {
    hash?: ((algorithm: string, data: Buffer | string, encoding: 'buffer') => Buffer) &
      ((algorithm: string, data: Buffer | string, encoding: 'hex') => string);
  }
).hash;

/** The digest of `data` (strings hashed as UTF-8). */
export function hashOnce(algorithm: string, data: Buffer | string): Buffer {
  return native ? native(algorithm, data, 'buffer') : createHash(algorithm).update(data).digest();
}

/** The hex digest of `data` (strings hashed as UTF-8). */
export function hashHex(algorithm: string, data: Buffer | string): string {
  return native ? native(algorithm, data, 'hex') : createHash(algorithm).update(data).digest('hex');
}
