import { createHash } from 'node:crypto';
import { hashHex } from '../../core/hash-once.js';

/** A message attribute as SQS stores it; BinaryValue is raw bytes. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

/** Hex MD5 of the UTF-8 text: one-shot, as every message body pays it once when sent. */
export function md5Hex(text: string): string {
  return hashHex('md5', text);
}

/**
 * MD5OfMessageAttributes as SQS computes it (clients verify it): for each attribute in name
 * order, the length-prefixed (4-byte big-endian) name, data type, a transport byte (1 string,
 * 2 binary) and the length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    putString(hash, name);
    putString(hash, value.DataType);
    if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      putBytes(hash, value.BinaryValue);
    } else {
      hash.update(Buffer.from([1]));
      putString(hash, value.StringValue ?? '');
    }
  }
  return hash.digest('hex');
}

function putString(hash: ReturnType<typeof createHash>, text: string): void {
  putBytes(hash, Buffer.from(text, 'utf8'));
}

function putBytes(hash: ReturnType<typeof createHash>, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  hash.update(length);
  hash.update(bytes);
}
