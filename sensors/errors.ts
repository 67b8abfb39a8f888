/**
 * The errors of the sensors layer. Sources never throw them at the caller: each counted error
 * goes to the source's `onError` hook and its `stats().errors`, by reason.
 */
import { PtsError } from "../runtime/index.ts";

/** Every code of the sensors layer: description and how to solve. Keys equal codes. */
export const SENSOR_ERROR_CODES = {
  PTS_SENSOR: {
    description: "A camera or sensor source could not connect or read, or received a bad frame; it was counted (stats().errors by reason) and the source carried on.",
    solve: "Check the source's address and the device; the error's reason and cause say what failed. Bad frames are skipped, failed connections retried with backoff.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

/**
 * Bounded reasons (used as a metrics label):
 * - connect: could not connect, or an HTTP status other than 200;
 * - stream: the connection or the child's output failed or ended;
 * - truncated: a part or JPEG cut short (a multipart stream that ends or skips mid-part);
 * - corrupt: bytes that are not a sane JPEG;
 * - read: a file or directory could not be read;
 * - process: the ffmpeg child could not start or exited with an error;
 * - put: the channel refused the frame.
 */
export type SensorErrorReason = "connect" | "stream" | "truncated" | "corrupt" | "read" | "process" | "put";

/** A counted failure of a source: why (reason), which source, and the cause. */
export class SensorError extends PtsError {
  static readonly code = "PTS_SENSOR";
  constructor(
    readonly source: string,
    readonly reason: SensorErrorReason,
    what: string,
    cause?: unknown,
  ) {
    super(SensorError.code, `${source}: ${reason}: ${what}`, { cause });
  }
}
