import { BloxError } from '../../core/errors.js';

/**
 * Test knobs for the event stream, because real ECS and EventBridge deliver at least once and
 * out of order: each event may be dropped, duplicated (same detail, new envelope id), held in a
 * reorder window and released shuffled, and delayed.
 */
export interface EventFaults {
  /** Probability (0–1) that an event is sent twice. */
  duplicateRate: number;
  /** Probability (0–1) that an event is never sent. */
  dropRate: number;
  /** Events held back and released in shuffled order once this many are waiting (0 or 1: off). */
  reorderWindow: number;
  /** Milliseconds every event waits before it is sent. */
  delayMs: number;
}

export const NO_FAULTS: EventFaults = { duplicateRate: 0, dropRate: 0, reorderWindow: 0, delayMs: 0 };

const LIMITS: Record<keyof EventFaults, { min: number; max: number; integer: boolean; what: string }> = {
  duplicateRate: { min: 0, max: 1, integer: false, what: 'a probability from 0 to 1' },
  dropRate: { min: 0, max: 1, integer: false, what: 'a probability from 0 to 1' },
  reorderWindow: { min: 0, max: 10_000, integer: true, what: 'a whole number of events from 0 to 10000' },
  delayMs: { min: 0, max: 3_600_000, integer: true, what: 'whole milliseconds from 0 to 3600000' },
};

/** Checks a partial set of knobs (from flags or the admin API); names the first bad one. */
export function parseFaults(input: unknown): Partial<EventFaults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new BloxError('InvalidFaults', 'fault knobs must be a JSON object, e.g. {"dropRate":0.1}', {
      status: 400,
    });
  const out: Partial<EventFaults> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'seed') continue;
    const limit = LIMITS[key as keyof EventFaults];
    if (!limit)
      throw new BloxError(
        'InvalidFaults',
        `unknown fault knob "${key}"; known knobs: ${Object.keys(LIMITS).join(', ')}, seed`,
        { status: 400 },
      );
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (
      typeof n !== 'number' ||
      !Number.isFinite(n) ||
      n < limit.min ||
      n > limit.max ||
      (limit.integer && !Number.isInteger(n))
    )
      throw new BloxError(
        'InvalidFaults',
        `fault knob ${key} must be ${limit.what}; got ${JSON.stringify(value)}`,
        {
          status: 400,
        },
      );
    out[key as keyof EventFaults] = n;
  }
  return out;
}
