/** ISO-8601 UTC with 0–3 fraction digits, trailing zeros dropped (as ECS events carry them). */
export function isoTime(ms: number): string {
  // a new task's createdAt, connectivityAt and updatedAt, its event time and its instance's
  // updatedAt are mostly one millisecond: the last text written is kept whole too
  if (ms === lastMs) return lastText;
  const fraction = ((ms % 1000) + 1000) % 1000;
  const second = ms - fraction;
  // Date formatting is the dear part (~1 µs), and an event writes 3–6 times mostly of the same
  // second: the whole-second text is kept for the last second seen, the fraction is appended
  if (second !== lastSecond || !Number.isInteger(ms)) {
    const iso = new Date(ms).toISOString(); // throws for invalid times, as it always did
    if (!Number.isInteger(ms)) return trimFraction(iso);
    lastSecond = second;
    lastSecondText = iso.slice(0, -5);
  }
  lastMs = ms;
  lastText = fraction === 0 ? lastSecondText + 'Z' : lastSecondText + FRACTIONS[fraction]!;
  return lastText;
}

let lastMs = NaN;
let lastText = '';

let lastSecond = NaN;
let lastSecondText = '';

/** `.fffZ` with trailing zeros dropped, for each millisecond 1–999. */
const FRACTIONS = Array.from({ length: 1000 }, (_, f) => trimFraction(`.${String(f).padStart(3, '0')}Z`));

/** Drops trailing zeros of `.fffZ` at the end of an ISO text, and the point when none are left. */
function trimFraction(iso: string): string {
  const n = iso.length;
  if (iso.charCodeAt(n - 2) !== 48) return iso;
  if (iso.charCodeAt(n - 3) !== 48) return iso.slice(0, n - 2) + 'Z';
  if (iso.charCodeAt(n - 4) !== 48) return iso.slice(0, n - 3) + 'Z';
  return iso.slice(0, n - 5) + 'Z';
}
