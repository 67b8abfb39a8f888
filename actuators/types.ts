/**
 * The types of the actuators: options every actuator takes, outcomes, dead letters and the
 * counters of `actuator.stats()`.
 */
import type { Bound, Channel, Item } from "../channels/index.ts";
import type { BackoffOptions, LatencyHistogram } from "../runtime/index.ts";

/**
 * Why an attempt failed; each is a bounded counter in `stats().failures`.
 * - timeout: the attempt ran past timeoutMs.
 * - http_status: the server answered with a status other than 2xx.
 * - connection: the target could not be reached (refused, reset, DNS, NATS down).
 * - exit_code / signal: the command exited non-zero, or was killed by a signal.
 * - spawn: the command could not be started (not found, not executable).
 * - write: a file could not be written.
 * - publish: NATS refused the message (e.g. over max_payload).
 * - put: the channel refused the put.
 * - encode: the event could not be serialized to JSON.
 * - error: anything else a custom actuator throws.
 */
export type FailureReason = "timeout" | "http_status" | "connection" | "exit_code" | "signal" | "spawn" | "write" | "publish" | "put" | "encode" | "error";

/**
 * What handling one item came to, after retries.
 * - ok: an attempt succeeded.
 * - failed: every attempt failed (or the failure was not worth retrying), and there is no dead-letter channel.
 * - timed_out: as failed, the last attempt having timed out.
 * - dead_lettered: every attempt failed, and the item went to the dead-letter channel with its error.
 * `resultCode` is the HTTP status or exit code of the last attempt, where there is one.
 */
export type Outcome =
  | { status: "ok"; attempts: number; latencyMs: number; resultCode?: number }
  | { status: "failed" | "timed_out" | "dead_lettered"; reason: FailureReason; error: string; attempts: number; latencyMs: number; resultCode?: number };

export type OutcomeStatus = Outcome["status"];

/** What goes into the dead-letter channel, at the time of the failure (clock.now()). */
export type DeadLetter<T = unknown> = {
  actuator: string;
  /** The failed item: its timestamp and value. */
  item: Item<T>;
  reason: FailureReason;
  error: string;
  attempts: number;
  /** ISO-8601 time of the last failure. */
  failedAt: string;
};

/** Options every actuator takes. */
export type ActuatorOptions = {
  /** A name for stats, logs and dead letters. Default: the kind of actuator. */
  name?: string;
  /** Time allowed for one attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Delays between attempts. Default: 100 ms doubling up to 5 s, ±20% jitter. */
  backoff?: BackoffOptions;
  /** At most this many attempts per second (a token bucket): attempts wait for a token. */
  rate?: { perSecond: number; burst?: number };
  /** Where items go when every attempt failed. Without it, they are counted as failed. */
  deadLetter?: Channel<DeadLetter>;
};

export type LatencyStats = { count: number; sumMs: number; minMs: number; maxMs: number; lastMs: number };

export type ActuatorStats = {
  name: string;
  /** Items handled to an outcome. */
  handled: number;
  inFlight: number;
  outcomes: Record<OutcomeStatus, number>;
  /** Final failures (failed, timed out or dead-lettered), by reason of the last attempt. */
  failures: Record<FailureReason, number>;
  /** Attempts after the first. */
  retries: number;
  /** Dead letters that could not be put into the dead-letter channel (the item is then counted as failed). */
  deadLetterErrors: number;
  /** From handle() to the outcome, retries included. */
  latency: LatencyStats;
};

/** Anything that consumes items: the actuators here, or your own (extend BaseActuator). */
export interface Actuator<T> {
  readonly name: string;
  /** Acts on one item; never rejects: failures are outcomes. */
  handle(item: Item<T>): Promise<Outcome>;
  stats(): ActuatorStats;
  /** From handle() to the outcome, retries included, in seconds: the metrics read it at scrape time. */
  readonly latencyHistogram?: LatencyHistogram;
  /** Ends in-flight attempts and releases connections; idempotent. */
  close(): Promise<void>;
}

export type AttachOptions = {
  /** Where to start: "live" (default) for items put after attach, or a bound ("oldest", a ts). */
  from?: Bound | "live";
  /** Items handled at once. Default 1: in timestamp order. */
  concurrency?: number;
  /** Told of each outcome, e.g. to log failures. */
  onOutcome?: (outcome: Outcome, item: Item<unknown>) => void;
};

/** A running attachment of an actuator to a channel. */
export type Attachment = {
  /** Stops taking items, waits for those in flight. */
  stop(): Promise<void>;
  /** Resolves when the attachment ends (stopped, or the channel's runtime stopped). */
  readonly done: Promise<void>;
};
