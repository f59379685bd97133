/** Pure statistics over plain numbers: the harness's only arithmetic, tested without I/O. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** Median (mean of the two middle values for an even count), min, max; the runs kept in order. */
export function summarize(runs: number[]): Summary {
  const values = runs.filter((x) => Number.isFinite(x));
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, runs };
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** Runs `fn` `n` times in sequence and returns each run's value. */
export async function repeat<T>(n: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let run = 0; run < n; run++) out.push(await fn(run));
  return out;
}

/** Runs `fn(i)` for i in 0..n-1 with at most `concurrency` in flight. */
export async function pool(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}
