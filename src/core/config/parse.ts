import type { SettingSpec } from './settings.js';

/** Durations accept plain milliseconds or a number with a unit: 500ms, 20s, 5m, 1h. */
export function parseDuration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * factor);
}

/** `host:port`, `:port` or `[v6]:port`; returns host (default 0.0.0.0) and port. */
export function parseAddress(raw: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '0.0.0.0' : m[2]);
  return { host, port };
}

export interface Coerced {
  ok: boolean;
  value?: unknown;
  expected?: string;
}

/** Turns a raw value (string from argv/env, or any JSON value from a file) into the setting's type. */
export function coerce(spec: SettingSpec, raw: unknown): Coerced {
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' || typeof raw === 'number'
        ? { ok: true, value: String(raw) }
        : { ok: false, expected: 'a string' };
    case 'address': {
      const s = typeof raw === 'number' ? `:${raw}` : raw;
      if (typeof s !== 'string' || !parseAddress(s))
        return { ok: false, expected: 'an address host:port, e.g. 0.0.0.0:3000' };
      return { ok: true, value: s };
    }
    case 'int':
    case 'number': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const what = spec.type === 'int' ? 'an integer' : 'a number';
      const range = rangeText(spec);
      if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n)))
        return { ok: false, expected: what + range };
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return { ok: false, expected: what + range };
      return { ok: true, value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw === 'string') {
        const s = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(s)) return { ok: true, value: true };
        if (['0', 'false', 'no', 'off'].includes(s)) return { ok: true, value: false };
      }
      return { ok: false, expected: 'true or false' };
    }
    case 'duration': {
      const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDuration(raw) : undefined;
      const range = rangeText(spec, true);
      if (ms === undefined || !Number.isFinite(ms) || ms < 0)
        return { ok: false, expected: 'a duration such as 500ms, 20s, 5m or 1h' + range };
      if ((spec.min !== undefined && ms < spec.min) || (spec.max !== undefined && ms > spec.max))
        return { ok: false, expected: 'a duration' + range };
      return { ok: true, value: ms };
    }
    case 'list': {
      const items = Array.isArray(raw)
        ? raw.map(String)
        : typeof raw === 'string'
          ? raw.split(',')
          : undefined;
      if (!items) return { ok: false, expected: 'a comma-separated list' };
      return { ok: true, value: items.map((s) => s.trim()).filter((s) => s !== '') };
    }
    case 'enum': {
      const s = typeof raw === 'string' ? raw.trim() : undefined;
      if (s === undefined || !spec.choices?.includes(s))
        return { ok: false, expected: `one of ${spec.choices?.join(', ')}` };
      return { ok: true, value: s };
    }
  }
}

function rangeText(spec: SettingSpec, duration = false): string {
  const fmt = (n: number) => (duration ? `${n}ms` : String(n));
  if (spec.min !== undefined && spec.max !== undefined)
    return ` between ${fmt(spec.min)} and ${fmt(spec.max)}`;
  if (spec.min !== undefined) return ` of at least ${fmt(spec.min)}`;
  if (spec.max !== undefined) return ` of at most ${fmt(spec.max)}`;
  return '';
}
