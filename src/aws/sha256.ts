import { createHash, createHmac, type Hmac } from 'node:crypto';
import { hashOnce } from '../core/hash-once.js';

/**
 * SHA-256 (and HMAC-SHA-256 when given a secret) for the SigV4 signer, computed by Node's native
 * crypto. Implements the `Checksum` constructor interface `@smithy/signature-v4` expects
 * (`new Sha256(secret?)`, `update`, async `digest`), like the SDK's own Node hash. A plain hash
 * keeps its input until `digest` and hashes it in one call: the signer hashes one payload and one
 * canonical request per request, and a Hash object for each was a visible cost.
 */
export class NativeSha256 {
  private hmac: Hmac | undefined;
  private chunks: Array<Buffer | string> = [];

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.reset();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    const chunk =
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          : Buffer.from(data);
    if (this.hmac) this.hmac.update(chunk);
    else this.chunks.push(chunk);
  }

  // The signer awaits the digest; a native hash has it at once.
  digest(): Promise<Uint8Array> {
    let d: Buffer;
    if (this.hmac) d = this.hmac.digest();
    else if (this.chunks.length === 1) d = hashOnce('sha256', this.chunks[0]!);
    else {
      const h = createHash('sha256');
      for (const c of this.chunks) h.update(c);
      d = h.digest();
    }
    return Promise.resolve(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }

  reset(): void {
    this.chunks = [];
    if (this.secret === undefined) return;
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    this.hmac = createHmac('sha256', key);
  }
}
