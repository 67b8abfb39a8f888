/**
 * MjpegCamera: frames from an MJPEG-over-HTTP stream (multipart/x-mixed-replace), as IP
 * cameras, motion/mjpg-streamer and ffmpeg's `mpjpeg` muxer serve it, put into a channel.
 *
 * Guarantees:
 * - Chunk boundaries may fall anywhere, boundary lines included; parts with and without
 *   Content-Length are read (see MultipartParser). A response without a multipart boundary is
 *   read as back-to-back JPEGs.
 * - A corrupt or truncated part is counted ("corrupt", "truncated") and skipped; the stream
 *   goes on. A stream that ends, fails or cannot be opened is reconnected with backoff
 *   (counted in `reconnects`).
 * - Frames coming faster than `rate` are dropped and counted. Each frame's ts is its arrival
 *   time (µs), strictly increasing.
 *
 * @example
 *   const video = await rt.channel<Frame>("door", { codec: frameCodec });
 *   const cam = new MjpegCamera({ url: "http://10.0.0.5/video.mjpg", channel: video, rate: 10 }).start();
 *   // …
 *   await cam.stop();
 *
 * @param options.url      the stream's http(s) URL (credentials may go in the URL)
 * @param options.headers  extra request headers (e.g. Authorization)
 * and the CameraOptions every source takes.
 */
import { SensorError } from "./errors.ts";
import { CameraBase, httpGet, idOf } from "./cameraInternals.ts";
import { JpegSplitter } from "./jpegInternals.ts";
import { MultipartParser, boundaryOf } from "./mjpegInternals.ts";
import type { CameraOptions } from "./types.ts";

export type MjpegCameraOptions = CameraOptions & { url: string; headers?: Record<string, string> };

export class MjpegCamera extends CameraBase {
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(options: MjpegCameraOptions) {
    super(options, idOf(options.url));
    this.url = options.url;
    this.headers = options.headers ?? {};
  }

  protected async session(signal: AbortSignal): Promise<void> {
    const res = await httpGet(this.id, this.url, signal, this.headers);
    const boundary = boundaryOf(res.headers["content-type"]);
    const parser = boundary === undefined ? undefined : new MultipartParser(boundary);
    const splitter = boundary === undefined ? new JpegSplitter() : undefined;
    try {
      for await (const chunk of res) {
        const parts = parser ? parser.push(chunk as Buffer) : splitter!.push(chunk as Buffer).map((body) => ({ body, truncated: false }));
        for (const part of parts) {
          if (part.truncated) {
            this.count(new SensorError(this.id, "truncated", `a part cut short after ${part.body.length} bytes`));
            continue;
          }
          if (this.admit()) await this.frame(part.body);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new SensorError(this.id, "stream", `${this.url}: ${(err as Error).message}`, err);
    }
    const cut = parser ? parser.reset() : splitter!.pending;
    if (cut > 0) this.count(new SensorError(this.id, "truncated", `the stream ended inside a part, ${cut} bytes in`));
    if (!signal.aborted) throw new SensorError(this.id, "stream", `${this.url}: the stream ended`);
  }
}
