/**
 * CameraBase: what every camera source shares, so each source file holds only how it gets
 * bytes. The loop, the counters, validation, timestamps and the put live here.
 *
 * The loop: `session()` (one connection, poll series, directory pass or ffmpeg child) runs
 * until it ends or throws. A throw is counted under its reason and given to onError; an end is
 * final for a finite source (session returns "done") and otherwise a disconnect. Either way,
 * unless stopped, the loop waits a Backoff delay, counts a reconnect and runs the session
 * again. The backoff starts over after each frame put, so a camera that comes back after a
 * long outage is retried promptly the next time. stop() aborts the session through its
 * AbortSignal and awaits the loop.
 *
 * A frame: its bytes must pass the validation (see FrameValidation); a bad one is counted as
 * "corrupt" and skipped. Timestamps are made strictly increasing per source (a clash moves the
 * frame 1 µs past the previous one), so a channel's default onDuplicate "reject" never refuses
 * a frame of a fast camera whose clock reads the same µs twice.
 */
import http from "node:http";
import https from "node:https";
import sharp from "sharp";
import { Backoff, RateLimiter, now, sleep } from "../runtime/index.ts";
import { ChannelClosedError } from "../channels/index.ts";
import { SensorError, type SensorErrorReason } from "./errors.ts";
import { jpegEnd } from "./jpegInternals.ts";
import type { CameraOptions, CameraSource, CameraState, CameraStats, Frame, FrameSink, FrameValidation } from "./types.ts";

/** Dimensions a frame may have, each side. */
export const MAX_SIDE = 16384;

export abstract class CameraBase implements CameraSource {
  readonly id: string;
  protected readonly channel: FrameSink;
  protected readonly limiter: RateLimiter | undefined;
  private readonly validation: FrameValidation;
  private readonly backoff: Backoff;
  private readonly onError: ((err: SensorError) => void) | undefined;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private resolveFinished!: () => void;
  readonly finished: Promise<void>;
  private state: CameraState = "idle";
  private seq = 0;
  private lastTs = -1;
  private readonly counts = { frames: 0, bytes: 0, reconnects: 0, dropped: 0 };
  private readonly errors: Partial<Record<SensorErrorReason, number>> = {};

  constructor(options: CameraOptions, defaultId: string) {
    this.id = options.id ?? defaultId;
    this.channel = options.channel;
    this.limiter = options.rate === undefined ? undefined : new RateLimiter(options.rate, 1);
    this.validation = options.validate ?? "metadata";
    this.backoff = new Backoff(options.backoff);
    this.onError = options.onError;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /**
   * One session: connect, read frames and hand each to `frame()`, until the input ends (return)
   * or fails (throw a SensorError). Return "done" when the source has nothing more to give.
   */
  protected abstract session(signal: AbortSignal): Promise<"done" | void>;

  start(): this {
    if (this.running || this.state === "stopped") return this;
    this.state = "running";
    this.running = this.run().finally(() => this.resolveFinished());
    return this;
  }

  async stop(): Promise<void> {
    if (this.state === "idle") this.resolveFinished();
    if (this.state !== "ended") this.state = "stopped";
    this.abort.abort(new Error("camera stopped"));
    await this.running;
  }

  stats(): CameraStats {
    return { camera: this.id, state: this.state, ...this.counts, errors: { ...this.errors }, lastTs: this.lastTs < 0 ? undefined : this.lastTs };
  }

  protected get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    for (;;) {
      try {
        if ((await this.session(signal)) === "done") {
          if (!signal.aborted) this.state = "ended";
          return;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ChannelClosedError || (err as Error).cause instanceof ChannelClosedError) {
          this.count(new SensorError(this.id, "put", "the channel is closed; the source ends", err));
          this.state = "ended";
          return;
        }
        this.count(err instanceof SensorError ? err : new SensorError(this.id, "stream", (err as Error).message ?? String(err), err));
      }
      if (signal.aborted) return;
      try {
        await sleep(this.backoff.next(), signal);
      } catch {
        return;
      }
      this.counts.reconnects++;
    }
  }

  /** Counts an error and tells onError; errors from the hook itself are not the source's. */
  protected count(err: SensorError): void {
    this.errors[err.reason] = (this.errors[err.reason] ?? 0) + 1;
    if (this.onError) {
      try {
        this.onError(err);
      } catch {
        // a throwing hook must not stop the camera
      }
    }
  }

  /** Push sources: false (and counted as dropped) when this frame comes faster than `rate`. */
  protected admit(): boolean {
    if (this.limiter === undefined || this.limiter.tryTake()) return true;
    this.counts.dropped++;
    return false;
  }

  /**
   * Validates a JPEG and puts it as the next frame at `ts` (default: now). Returns the frame, or
   * undefined when it was bad (counted, skipped). Rethrows a closed channel: the loop ends.
   */
  protected async frame(jpeg: Buffer, ts?: number): Promise<Frame | undefined> {
    const size = await this.check(jpeg);
    if (size === undefined) return undefined;
    let t = ts ?? now();
    if (t <= this.lastTs) t = this.lastTs + 1;
    const frame: Frame = { camera: this.id, seq: this.seq, width: size.width, height: size.height, ts: t, jpeg };
    try {
      await this.channel.put(frame, t);
    } catch (err) {
      if (err instanceof ChannelClosedError) throw err;
      this.count(new SensorError(this.id, "put", (err as Error).message, err));
      return undefined;
    }
    this.seq++;
    this.lastTs = t;
    this.counts.frames++;
    this.counts.bytes += jpeg.length;
    this.backoff.reset();
    return frame;
  }

  private async check(jpeg: Buffer): Promise<{ width: number; height: number } | undefined> {
    const end = jpegEnd(jpeg);
    if (end < 0) {
      this.count(new SensorError(this.id, "corrupt", `${jpeg.length} bytes without JPEG SOI/EOI markers`));
      return undefined;
    }
    try {
      const img = sharp(end === jpeg.length ? jpeg : jpeg.subarray(0, end), { failOn: "error" });
      const meta = await img.metadata();
      if (meta.format !== "jpeg") throw new Error(`format ${meta.format}, not jpeg`);
      const { width, height } = meta;
      if (!(width >= 1 && height >= 1 && width <= MAX_SIDE && height <= MAX_SIDE)) throw new Error(`insane size ${width}x${height}`);
      if (this.validation === "decode") await img.raw().toBuffer();
      return { width, height };
    } catch (err) {
      this.count(new SensorError(this.id, "corrupt", `a bad JPEG of ${jpeg.length} bytes (${(err as Error).message})`, err));
      return undefined;
    }
  }
}

/** GET a URL (http or https) and resolve with the response once its headers are in; a status
 * other than 200 is a "connect" error. The request is destroyed when the signal aborts. */
export function httpGet(id: string, url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith("https:") ? https : http;
    const req = lib.get(url, { signal, headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new SensorError(id, "connect", `${url}: HTTP ${res.statusCode} ${res.statusMessage ?? ""}`.trim()));
        return;
      }
      resolve(res);
    });
    req.on("error", (err) => reject(signal.aborted ? err : new SensorError(id, "connect", `${url}: ${err.message}`, err)));
  });
}

/** Reads a whole response body. */
export async function readBody(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A short address for a default camera id: the URL without credentials or query. */
export function idOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`.slice(0, 255);
  } catch {
    return url.slice(0, 255);
  }
}
