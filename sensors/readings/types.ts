/**
 * The types of the generic sensor sources: options shared by every source, the counters of
 * `source.stats()`, and the interface every source implements.
 */
import type { Channel } from "../../channels/index.ts";
import type { BackoffOptions } from "../../runtime/index.ts";

/**
 * Where a reading's timestamp comes from.
 * - "arrival" (the default): `clock.now()` when the reading arrives, in µs.
 * - `{ field, unit }`: a field of the reading (a dot path such as "meta.time" reaches into
 *   nested objects), holding integer microseconds ("us"), milliseconds ("ms", fractions kept to
 *   the µs), seconds ("s", fractions kept to the µs) or an ISO-8601 string ("iso"; no zone = UTC).
 */
export type TimestampOption = "arrival" | { field: string; unit: "us" | "ms" | "s" | "iso" };

/**
 * A rate limit on readings put into the channel (a token bucket). When a reading finds no
 * token, "wait" (the default) holds it back (and with it the producer, where the transport allows
 * backpressure: file, stdin, TCP, HTTP); "drop" discards it and counts it in `stats().dropped`.
 */
export type RateOption = { perSecond: number; burst?: number; whenLimited?: "wait" | "drop" };

/** Options every reading source takes. */
export type SourceOptions<T> = {
  /** The channel that readings are put into. */
  channel: Channel<T>;
  /** A name for stats and error reports. Default: the kind of source. */
  name?: string;
  /** Where timestamps come from. Default "arrival". */
  timestamp?: TimestampOption;
  rate?: RateOption;
  /**
   * Validates or reshapes a parsed reading into the channel's value. Throwing counts the reading
   * as "invalid" and skips it. Default: the parsed JSON value as is.
   */
  map?: (reading: unknown) => T;
  /** Delays between reconnection attempts. Default: 100 ms doubling up to 5 s, ±20% jitter. */
  backoff?: BackoffOptions;
  /** Told of every skipped reading and every connection error; never required. */
  onError?: (reason: ReadingErrorReason, message: string) => void;
};

/**
 * Why a reading or a connection failed; each is a bounded counter in `stats().errors`.
 * - malformed: not valid JSON (or not UTF-8).
 * - timestamp: the timestamp field is missing or not a valid time in its unit.
 * - invalid: the `map` option threw.
 * - too_large: a line or body over the source's byte limit.
 * - truncated: a partial line cut off by a lost connection.
 * - put: the channel refused the put for another reason than a duplicate (e.g. it was closed).
 * - connection: connecting failed, or an established connection broke.
 * - io: a file could not be opened or read.
 */
export type ReadingErrorReason = "malformed" | "timestamp" | "invalid" | "too_large" | "truncated" | "put" | "connection" | "io";

export type SourceStats = {
  name: string;
  running: boolean;
  /** Whether the source is connected to its producer now (always true for a listening server once started). */
  connected: boolean;
  /** Readings put into the channel. */
  readings: number;
  /** Bytes received from the producer, framing included. */
  bytes: number;
  /** Skipped readings and connection errors, by reason. */
  errors: Record<ReadingErrorReason, number>;
  /** Readings whose timestamp was already used (rejected by the channel, or seen recently by this source). */
  duplicates: number;
  /** Readings discarded by a rate limit with whenLimited "drop". */
  dropped: number;
  /** Connections re-established after a loss (the first connection is not counted). */
  reconnects: number;
  /** The timestamp of the last reading put. */
  lastTs: number | undefined;
};

/** A source of readings: started, stopped and watched through its counters. */
export interface ReadingSource {
  readonly name: string;
  /** Starts reading; resolves once the source is listening, opened or trying to connect. */
  start(): Promise<void>;
  /** Stops reading and closes connections; idempotent. */
  stop(): Promise<void>;
  /** Resolves when the source ends on its own (a file read to its end without follow) or is stopped. */
  done(): Promise<void>;
  stats(): SourceStats;
}

/** What ingesting one body (an HTTP POST, a NATS message) did: sent back to the producer. */
export type IngestReport = {
  accepted: number;
  duplicates: number;
  dropped: number;
  rejected: number;
  /** The first few rejected readings: index in the body (0 for a single reading), reason, message. */
  errors: { index: number; reason: ReadingErrorReason; message: string }[];
};
