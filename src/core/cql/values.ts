/** Typed forms of cluster-query-language literals: dates and agent versions. */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * The instant range a registeredAt literal denotes, as [start, end) in epoch ms. A bare date is
 * its whole UTC day, so `registeredAt == 2018-06-18` means "registered that day" and
 * `< 2018-06-18` means "before that day". A timestamp without a zone is UTC. The four documented
 * forms are accepted (plus fractional seconds); anything else is undefined.
 */
export function parseCqlDate(text: string): [number, number] | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (h === undefined) {
    const start = Date.UTC(year, month - 1, day);
    if (new Date(start).getUTCDate() !== day) return undefined;
    return [start, start + 86_400_000];
  }
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const fraction = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  ms += fraction;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    ms -= sign * offset;
  }
  // A timestamp to the second covers that second when written without a fraction.
  return [ms, ms + (frac ? 1 : 1000)];
}

/** `1.14.5` → [1, 14, 5]; a leading `v` is tolerated. Undefined when not dotted numbers. */
export function parseVersion(text: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)$/.exec(text);
  if (!m) return undefined;
  return m[1]!.split('.').map(Number);
}

/** Orders versions component by component; missing components count as 0 (1.2 == 1.2.0). */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
