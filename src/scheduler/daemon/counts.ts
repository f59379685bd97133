/**
 * "A count or a percentage" settings (maxUnavailable, failureThreshold), as Kubernetes has them.
 * Percentages of a total round up, as a DaemonSet's maxUnavailable does.
 */
export type CountOrPercent = number | string;

const PERCENT_RE = /^(\d{1,3}(?:\.\d+)?)%$/;

/** A message saying what is wrong, or undefined when valid. */
export function checkCountOrPercent(value: unknown, field: string): string | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0
      ? undefined
      : `${field} must be a whole number >= 0 or a percentage such as "10%"`;
  }
  if (typeof value === 'string') {
    const m = PERCENT_RE.exec(value);
    if (m && Number(m[1]) <= 100) return undefined;
    if (/^\d+$/.test(value)) return undefined;
  }
  return `${field} must be a whole number >= 0 or a percentage such as "10%" (got ${JSON.stringify(value)})`;
}

/**
 * Resolves against a total: a number is itself; "10%" of 15 is 2 rounded up (maxUnavailable,
 * as Kubernetes does) or 1 rounded down (failureThreshold, so "10%" of 1 instance tolerates none).
 */
export function resolveCount(value: CountOrPercent, total: number, round: 'up' | 'down' = 'up'): number {
  if (typeof value === 'number') return value;
  const m = PERCENT_RE.exec(value);
  if (m) {
    const exact = (Number(m[1]) * total) / 100;
    return Math.max(0, round === 'up' ? Math.ceil(exact - 1e-9) : Math.floor(exact + 1e-9));
  }
  return Number(value);
}
