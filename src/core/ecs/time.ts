/**
 * ECS timestamps: events carry ISO-8601 UTC strings with 0–3 fractional digits and trailing zeros
 * dropped ("2025-03-10T10:15:38.25Z"); the JSON API carries epoch seconds (numbers), which the
 * AWS SDK turns into Date objects. Both sources are stored in the event form.
 */

/** ISO-8601 UTC in the event style: milliseconds only when non-zero, trailing zeros dropped. */
export function formatEventTime(date: Date): string {
  const iso = date.toISOString(); // 2025-03-10T10:15:38.250Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Epoch seconds (the API's wire form, possibly fractional) as an event-style ISO string. */
export function epochSecondsToEventTime(seconds: number): string {
  return formatEventTime(new Date(Math.round(seconds * 1000)));
}

/** Milliseconds since the epoch of an ISO string, or undefined when it is not a valid time. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
