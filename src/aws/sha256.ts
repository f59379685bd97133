import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/**
 * SHA-256 (and HMAC-SHA-256 when given a secret) for the SigV4 signer, computed by Node's native
 * crypto. Implements the `Checksum` constructor interface `@smithy/signature-v4` expects
 * (`new Sha256(secret?)`, `update`, async `digest`), like the SDK's own Node hash.
 */
export class NativeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    if (typeof data === 'string') this.hash.update(data, 'utf8');
    else if (ArrayBuffer.isView(data))
      this.hash.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else this.hash.update(Buffer.from(data));
  }

  // The signer awaits the digest; a native hash has it at once.
  digest(): Promise<Uint8Array> {
    const d = this.hash.digest();
    return Promise.resolve(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }

  reset(): void {
    this.hash = this.fresh();
  }
}
