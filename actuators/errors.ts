/**
 * The error of the actuators layer: ActuatorError, what an attempt throws. Its reason is the
 * bounded label of `stats().failures`, and `retryable` says whether another attempt may help.
 */
import { PtsError } from "../runtime/index.ts";
import type { FailureReason } from "./types.ts";

/** Every code of the actuators layer: description and how to solve. Keys equal codes. */
export const ACTUATOR_ERROR_CODES = {
  PTS_ACTUATOR_FAILED: {
    description: "An actuator's attempt failed (timeout, HTTP status, connection, exit code, write, publish, put); it is retried, then dead-lettered, and reported as an outcome rather than thrown.",
    solve: "Read the reason and message in the outcome or dead letter; fix the target, or raise timeoutMs or attempts.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

/** One failed attempt of an actuator. Thrown by attempts, recorded in outcomes and dead letters. */
export class ActuatorError extends PtsError {
  static readonly code = "PTS_ACTUATOR_FAILED";
  readonly reason: FailureReason;
  readonly retryable: boolean;
  /** The HTTP status or exit code, where there is one. */
  readonly resultCode: number | undefined;

  constructor(reason: FailureReason, message: string, options: { retryable?: boolean; resultCode?: number; cause?: unknown } = {}) {
    super(ActuatorError.code, message, { cause: options.cause });
    this.reason = reason;
    this.retryable = options.retryable ?? true;
    this.resultCode = options.resultCode;
  }
}
