/**
 * SnapshotCamera: polls a JPEG snapshot URL (an IP camera's `snapshot.jpg`) at a rate and puts
 * each image into a channel.
 *
 * Guarantees:
 * - At most `rate` polls per second (default 1); a poll starts when the previous one is done,
 *   so a slow camera is never asked twice at once.
 * - Each request has a timeout (`timeoutMs`, default 5000). A failed poll (no answer, an HTTP
 *   status other than 200, a timeout) is counted and retried after a backoff delay (counted
 *   in `reconnects`); a corrupt image is counted and skipped.
 * - Each frame's ts is the time the response arrived (µs), strictly increasing.
 *
 * @example
 *   const cam = new SnapshotCamera({ url: "http://10.0.0.5/snapshot.jpg", rate: 2, channel: video }).start();
 *
 * @param options.url        the snapshot's http(s) URL
 * @param options.rate       polls per second (default 1)
 * @param options.timeoutMs  per request (default 5000)
 * @param options.headers    extra request headers
 */
import { RateLimiter } from "../runtime/index.ts";
import { SensorError } from "./errors.ts";
import { CameraBase, httpGet, idOf, readBody } from "./cameraInternals.ts";
import type { CameraOptions } from "./types.ts";

export type SnapshotCameraOptions = CameraOptions & { url: string; timeoutMs?: number; headers?: Record<string, string> };

export class SnapshotCamera extends CameraBase {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly pace: RateLimiter;

  constructor(options: SnapshotCameraOptions) {
    super({ ...options, rate: undefined }, idOf(options.url));
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.headers = options.headers ?? {};
    this.pace = new RateLimiter(options.rate ?? 1, 1);
  }

  protected async session(signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.pace.take(signal);
      const request = AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]);
      let body: Buffer;
      try {
        body = await readBody(await httpGet(this.id, this.url, request, this.headers));
      } catch (err) {
        if (signal.aborted || err instanceof SensorError) throw err;
        throw new SensorError(this.id, "connect", `${this.url}: ${(err as Error).message}`, err);
      }
      await this.frame(body);
    }
  }
}
