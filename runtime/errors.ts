/**
 * PtsError: the base class of every error PTS throws, and the errors of the runtime layer.
 *
 * Every error carries a stable `code` (documented in the README's error table, which a test
 * keeps in agreement with these classes), a `name` equal to its class name, and an optional
 * `cause`. Messages say what went wrong and what to do about it.
 */

/** Every code of the runtime layer: description and how to solve. Keys equal codes. */
export const RUNTIME_ERROR_CODES = {
  PTS_INVALID_TIMESTAMP: {
    description: "A timestamp that is not a non-negative safe integer of microseconds (NaN, a fraction, negative, too large, not a number), or time text that cannot be parsed.",
    solve: "Pass integer µs since the epoch (clock.now(), clock.fromMs(), clock.fromIso()); on the CLI, ISO-8601 or a relative form like -5s.",
  },
  PTS_INVALID_OPTION: {
    description: "An unknown option name (a typo) or an option with a wrong type or value.",
    solve: "Check the option against the README; the message names the option and what it expects.",
  },
  PTS_METRICS_SERVER: {
    description: "The metrics server could not listen: the port is taken, or the host is not an address of this machine.",
    solve: "Choose another port (metrics: { port }, or pts run --metrics-port), or turn metrics off with metrics: false.",
  },
  PTS_CODEC: {
    description: "A value the channel's codec cannot encode (e.g. a string on a binary channel, a cycle in JSON), or bytes it cannot decode.",
    solve: "Put values of the channel's type, or give the channel a codec that handles them.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

export class PtsError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A timestamp that is not a non-negative safe integer of microseconds, or a time string that cannot be parsed. */
export class InvalidTimestampError extends PtsError {
  static readonly code = "PTS_INVALID_TIMESTAMP";
  constructor(value: unknown, why: string) {
    super(
      InvalidTimestampError.code,
      `invalid timestamp ${describe(value)}: ${why}. A timestamp is a non-negative safe integer of microseconds since the Unix epoch (or, where text is accepted, ISO-8601 like 2026-11-25T10:00:00Z or a relative form like -5s)`,
    );
  }
}

/** An option with a wrong type or value. */
export class InvalidOptionError extends PtsError {
  static readonly code = "PTS_INVALID_OPTION";
  constructor(option: string, value: unknown, expected: string) {
    super(InvalidOptionError.code, `invalid option ${option}=${describe(value)}: expected ${expected}`);
  }
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  if (value === null || typeof value !== "object") return String(value);
  return Object.prototype.toString.call(value);
}
