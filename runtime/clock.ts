/**
 * Timestamps: integer microseconds since the Unix epoch, held as a JS number.
 *
 * Guarantees:
 * - A timestamp is a non-negative safe integer; that is exact up to the year 2255.
 *   `assertTimestamp` rejects anything else (NaN, fractions, negatives, non-numbers) with
 *   InvalidTimestampError.
 * - `now()` is wall-clock time that never goes backwards and never repeats within a process:
 *   two calls always return strictly increasing values, so default put timestamps never collide.
 * - `parseTime` accepts what a person types on the CLI: integer µs, ISO-8601 (with up to
 *   microsecond fractions; no zone means UTC), "now", and relative forms like "-5s", "+250ms",
 *   "-2h", "-1.5m" relative to a reference time.
 */
import { InvalidTimestampError } from "./errors.ts";

export type Timestamp = number;

const MAX_TS = Number.MAX_SAFE_INTEGER;

let lastNow = 0;

/** The current time in µs; strictly increasing within this process. */
export function now(): Timestamp {
  // timeOrigin + performance.now() keeps sub-millisecond resolution that Date.now() lacks.
  const t = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  lastNow = t > lastNow ? t : lastNow + 1;
  return lastNow;
}

export function isTimestamp(ts: unknown): ts is Timestamp {
  return typeof ts === "number" && Number.isSafeInteger(ts) && ts >= 0;
}

/** Throws InvalidTimestampError unless ts is a valid timestamp. */
export function assertTimestamp(ts: unknown): asserts ts is Timestamp {
  if (isTimestamp(ts)) return;
  throw timestampError(ts);
}

/** The error for a value that is not a valid timestamp, saying exactly why. */
export function timestampError(ts: unknown): InvalidTimestampError {
  return new InvalidTimestampError(ts, whyInvalid(ts));
}

function whyInvalid(ts: unknown): string {
  if (typeof ts !== "number") return `expected a number, got ${ts === null ? "null" : typeof ts}`;
  if (Number.isNaN(ts)) return "it is NaN";
  if (!Number.isFinite(ts)) return "it is not finite";
  if (!Number.isInteger(ts)) return "it is not an integer (timestamps are whole microseconds)";
  if (ts < 0) return "it is negative";
  return `it exceeds the largest safe integer ${MAX_TS}`;
}

export function fromMs(ms: number): Timestamp {
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new InvalidTimestampError(ms, "milliseconds must be a finite number");
  const ts = Math.round(ms * 1000);
  assertTimestamp(ts);
  return ts;
}

export function toMs(ts: Timestamp): number {
  assertTimestamp(ts);
  return ts / 1000;
}

export function fromDate(date: Date): Timestamp {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new InvalidTimestampError(date, "not a valid Date");
  return fromMs(date.getTime());
}

/** A Date keeps milliseconds only: the sub-millisecond part is dropped (floored). */
export function toDate(ts: Timestamp): Date {
  assertTimestamp(ts);
  return new Date(Math.floor(ts / 1000));
}

/** ISO-8601 in UTC with microsecond precision, e.g. 2026-11-25T10:00:00.123456Z. */
export function toIso(ts: Timestamp): string {
  assertTimestamp(ts);
  const ms = Math.floor(ts / 1000);
  const base = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const micros = String(ts % 1_000_000).padStart(6, "0");
  return `${base.slice(0, 19)}.${micros}Z`;
}

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses ISO-8601 keeping up to microsecond precision. A string without a zone is UTC. */
export function fromIso(text: string): Timestamp {
  const m = typeof text === "string" ? ISO.exec(text.trim()) : null;
  if (!m) throw new InvalidTimestampError(text, "not an ISO-8601 date-time");
  const [, date, time = "00:00:00", fraction = "", zone = "Z"] = m;
  const hms = time.length === 5 ? `${time}:00` : time;
  const normalizedZone = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${hms}${normalizedZone}`);
  if (Number.isNaN(ms)) throw new InvalidTimestampError(text, "not a valid calendar date-time");
  const micros = fraction === "" ? 0 : Math.floor(Number(fraction.padEnd(6, "0").slice(0, 6)));
  const ts = ms * 1000 + micros;
  assertTimestamp(ts);
  return ts;
}

const UNIT_US: Record<string, number> = { us: 1, "µs": 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 };
const RELATIVE = /^([+-])\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h|d)$/;

/** Parses a duration like "5s", "250ms", "1.5m", "2h" into µs. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new InvalidTimestampError(text, 'not a duration like "500ms", "5s", "2m", "1h" or "1d"');
  return Math.round(Number(m[1]) * UNIT_US[m[2]]);
}

/**
 * Parses what a person types: integer µs, "now", ISO-8601, or a relative form ("-5s",
 * "+100ms") taken from `reference` (default: now()).
 */
export function parseTime(input: string | number | Date, reference?: Timestamp): Timestamp {
  if (typeof input === "number") {
    assertTimestamp(input);
    return input;
  }
  if (input instanceof Date) return fromDate(input);
  if (typeof input !== "string") throw new InvalidTimestampError(input, "expected a number, Date or string");
  const text = input.trim();
  if (text === "now") return reference ?? now();
  if (/^\d+$/.test(text)) {
    const ts = Number(text);
    assertTimestamp(ts);
    return ts;
  }
  const rel = RELATIVE.exec(text);
  if (rel) {
    const base = reference ?? now();
    const delta = Math.round(Number(rel[2]) * UNIT_US[rel[3]]);
    const ts = rel[1] === "-" ? base - delta : base + delta;
    if (!isTimestamp(ts)) throw new InvalidTimestampError(text, "the relative time falls outside the valid range");
    return ts;
  }
  return fromIso(text);
}
