import { dltError } from './errors.ts';

/** Units of a relative time (`90s`, `30m`, `2h`, `7d`, `1w`), in milliseconds. */
export const RELATIVE_TIME_UNITS_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

const RELATIVE_TIME = /^(\d{1,9})([smhdw])$/;
/** An ISO 8601 date or date-time; `Date.parse` alone accepts too much (e.g. `1`, `March 7`). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A time bound of `--since`/`--until` in ms since epoch: `now`, a relative time before `now` (`2h` = two
 * hours ago), or an ISO 8601 date or date-time (a date-time without offset is read as UTC, not local time,
 * so the same command means the same instant on every operator's machine).
 */
export function parseTimeBound(text: string, now: number): number {
  const trimmed = text.trim();
  if (trimmed === 'now') return now;
  const relative = RELATIVE_TIME.exec(trimmed);
  if (relative !== null) {
    const unit = relative[2] as keyof typeof RELATIVE_TIME_UNITS_MS;
    return now - Number(relative[1]) * RELATIVE_TIME_UNITS_MS[unit];
  }
  if (ISO_DATE_TIME.test(trimmed)) {
    const hasTime = /[T ]\d{2}:\d{2}/.test(trimmed);
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(trimmed);
    const normalised = hasTime && !hasOffset ? `${trimmed.replace(' ', 'T')}Z` : trimmed.replace(' ', 'T');
    const parsed = Date.parse(normalised);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw dltError('DLT_INVALID_OPTION', `"${text}" is not a time`, {
    hint: 'Use an ISO 8601 date or date-time (2026-05-01, 2026-05-01T12:00:00Z), `now`, or a relative time like 90s, 30m, 2h, 7d, 1w.',
  });
}
