/**
 * A small seeded PRNG (mulberry32): the fault knobs must be reproducible, so every random
 * decision about an event comes from here, never from Math.random.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** A UUID-shaped (version 4 layout) id drawn from a PRNG, so event ids are reproducible too. */
export function prngUuid(prng: Prng): string {
  // 32 hex digits drawn in order (the 13th and 17th are drawn and then replaced by the version
  // and the variant, which is drawn last), written without an array, join and slices
  let s = '';
  for (let i = 0; i < 32; i++) {
    const digit = HEX[prng.int(16)]!;
    if (i === 8 || i === 12 || i === 16 || i === 20) s += '-';
    s += i === 12 ? '4' : i === 16 ? '?' : digit;
  }
  const variant = HEX[8 + prng.int(4)]!;
  return s.slice(0, 19) + variant + s.slice(20);
}

const HEX = '0123456789abcdef';

/** Fisher–Yates with the given PRNG; returns a new array. */
export function shuffle<T>(items: readonly T[], prng: Prng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
