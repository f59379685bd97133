import { createHash } from 'node:crypto';

/**
 * Seeded randomness for IDs and placement ties, so a run with a fixed `seed` is reproducible
 * (tests, demos, snapshots). sfc32: small, fast, good enough for simulation.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  hex(length: number): string {
    // each draw gives 8 digits (its 32 bits, big-endian), written from a table of byte texts:
    // the same digits toString(16).padStart(8, '0') wrote, without formatting a number per draw
    let out = '';
    while (out.length < length) {
      const v = (this.next() * 0x100000000) >>> 0;
      out +=
        BYTE_HEX[v >>> 24]! + BYTE_HEX[(v >>> 16) & 255]! + BYTE_HEX[(v >>> 8) & 255]! + BYTE_HEX[v & 255]!;
    }
    return out.length === length ? out : out.slice(0, length);
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** EC2 instance IDs are `i-` + 17 hex digits. */
  ec2InstanceId(): string {
    return `i-0${this.hex(16)}`;
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

const digests = new Map<string, string>();

/** A stable image digest for an image name (the same image always has the same digest). */
export function imageDigest(image: string): string {
  let digest = digests.get(image);
  if (digest === undefined) {
    digest = `sha256:${createHash('sha256').update(image).digest('hex')}`;
    // One shared string per image instead of one per container; bounded for long runs.
    if (digests.size >= 10_000) digests.clear();
    digests.set(image, digest);
  }
  return digest;
}
