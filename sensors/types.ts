/**
 * The types of the camera half of the sensors layer: frames, boxes, raw images, and the
 * options and counters every camera source shares.
 */
import type { BackoffOptions } from "../runtime/index.ts";
import type { SensorError, SensorErrorReason } from "./errors.ts";

/** One camera frame: the JPEG bytes and what is known about them. */
export type Frame = {
  /** The camera's id (the `id` option of its source). UTF-8, at most 255 bytes. */
  readonly camera: string;
  /** The source's frame number: 0, 1, 2, … in the order frames were put. */
  readonly seq: number;
  readonly width: number;
  readonly height: number;
  /** Capture timestamp, integer µs since the Unix epoch; also the item's ts in the channel. */
  readonly ts: number;
  /** The JPEG file bytes, SOI to EOI. */
  readonly jpeg: Buffer;
};

/** An axis-aligned rectangle in pixels of the full-size frame. */
export type Box = { x: number; y: number; width: number; height: number };

/** Decoded pixels: `channels` bytes per pixel (1 grey, 3 RGB), rows packed without padding. */
export type RawImage = { data: Buffer; width: number; height: number; channels: 1 | 3 };

/** Where a source puts its frames: a channel (`rt.channel<Frame>(…)`) or anything with its put. */
export type FrameSink = { put(value: Frame, ts?: number): Promise<void> };

/**
 * How much of a frame a source checks before putting it:
 * - "metadata" (default): SOI/EOI markers, then sharp's header read (format jpeg, 1..16384 px);
 * - "decode": also decodes the whole image with sharp (slower; catches damaged scan data).
 */
export type FrameValidation = "metadata" | "decode";

/** Options every camera source takes. */
export type CameraOptions = {
  /** Where frames go; the item ts is the frame's capture timestamp. */
  channel: FrameSink;
  /** The camera id written into each frame (default: derived from the source's address). */
  id?: string;
  /**
   * Frames per second at most. Push sources (MJPEG, ffmpeg) drop what comes faster (counted in
   * `dropped`); pull sources (snapshot, directory, synthetic) poll or replay at this rate.
   */
  rate?: number;
  /** Delays between reconnects (runtime Backoff: initialMs 100, maxMs 30000 by default). */
  backoff?: BackoffOptions;
  validate?: FrameValidation;
  /** Called for every error the source counts (bad frames included); never with a fatal error. */
  onError?: (err: SensorError) => void;
};

export type CameraState = "idle" | "running" | "ended" | "stopped";

/** A source's counters since it was created. */
export type CameraStats = {
  camera: string;
  state: CameraState;
  /** Frames put into the channel, and their JPEG bytes. */
  frames: number;
  bytes: number;
  /** Errors by reason; a reason appears once it has happened. */
  errors: Partial<Record<SensorErrorReason, number>>;
  /** Connections (or polls, or ffmpeg children) started again after a failure or an end. */
  reconnects: number;
  /** Frames received but not put because they came faster than `rate`. */
  dropped: number;
  /** Capture timestamp of the newest frame put, if any. */
  lastTs: number | undefined;
};

/** What every camera source offers. */
export interface CameraSource {
  readonly id: string;
  /** Starts the capture loop; a no-op when already running. */
  start(): this;
  /** Stops the loop and resolves once it has ended (connections closed, children killed). */
  stop(): Promise<void>;
  /** Resolves when the loop ends: stop(), a finite source running out, or a closed channel. */
  readonly finished: Promise<void>;
  stats(): CameraStats;
}
