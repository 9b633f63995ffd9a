/**
 * Durations in settings: `500ms`, `15s`, `2m`, `1h`, `1d`, or a bare number in the
 * given default unit (milliseconds for server settings, seconds for token lifetimes).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration to milliseconds; undefined when it is not one. */
export function parseDuration(value: string | number, bareUnit: 'ms' | 's' = 'ms'): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? value * (UNIT_MS[bareUnit] ?? 1) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (m === null) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? bareUnit] ?? 1);
}

/** `15000` → `15s`, for help texts. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
