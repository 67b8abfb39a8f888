/**
 * The live view's images: the newest JPEG of a channel (`latest.jpg`) and an MJPEG stream of
 * its JPEGs as they are put (`stream.mjpeg`, multipart/x-mixed-replace, which browsers show in
 * an <img> or a tab).
 *
 * A channel has images when its codec is the frame codec ("frame": values are sensors' Frames)
 * or when its newest value has a `jpeg` or `snapshot` field holding JPEG bytes (motion-alert's
 * `.process` events carry their annotated snapshot there). Nothing here runs on a put: the
 * stream waits on the channel like any reader, and a slow client skips to the newest frame
 * instead of queueing every one.
 *
 * @example
 *   curl -o now.jpg http://127.0.0.1:9464/channels/front%20door/latest.jpg
 *   open http://127.0.0.1:9464/channels/front%20door/stream.mjpeg
 */
import type http from "node:http";
import type { HostedChannel } from "./hostedChannel.ts";

/** Where images come from in a channel's values: the frame codec, or a JPEG field of the values. */
export type ImageKind = "frame" | "jpeg" | "snapshot";

export const MJPEG_BOUNDARY = "pts-live-frame";

function isJpeg(b: unknown): b is Uint8Array {
  return b instanceof Uint8Array && b.length >= 2 && b[0] === 0xff && b[1] === 0xd8;
}

/** The JPEG bytes of a value (a Frame's `jpeg`, an event's `snapshot`), if it has any. */
export function jpegOf(value: unknown): Uint8Array | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { jpeg?: unknown; snapshot?: unknown };
  if (isJpeg(v.jpeg)) return v.jpeg;
  if (isJpeg(v.snapshot)) return v.snapshot;
  return undefined;
}

/** Whether a channel carries images, judged by its codec or its newest value. */
export function imageKind(h: HostedChannel<unknown>): ImageKind | undefined {
  if (h.codec.name === "frame") return "frame";
  const v = h.newestItem()?.value as { jpeg?: unknown; snapshot?: unknown } | undefined;
  if (v === undefined || v === null || typeof v !== "object") return undefined;
  if (isJpeg(v.jpeg)) return "jpeg";
  if (isJpeg(v.snapshot)) return "snapshot";
  return undefined;
}

function notFound(res: http.ServerResponse, message: string): void {
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${message}\n`);
}

/** Answers 404 unless `h` is a channel with images; returns whether it did. */
function refuse(res: http.ServerResponse, name: string, h: HostedChannel<unknown> | undefined): h is undefined {
  if (!h) {
    notFound(res, `no channel named ${JSON.stringify(name)} is hosted here; /api/channels lists the channels`);
    return true;
  }
  if (!imageKind(h)) {
    notFound(res, `channel ${JSON.stringify(name)} does not carry images: its codec is "${h.codec.name}", not "frame", and its newest value has no jpeg or snapshot JPEG bytes`);
    return true;
  }
  return false;
}

/** GET /channels/<name>/latest.jpg: the newest JPEG of the channel. */
export function serveLatest(res: http.ServerResponse, name: string, h: HostedChannel<unknown> | undefined): void {
  if (refuse(res, name, h)) return;
  const item = h!.newestItem();
  const jpeg = item && jpegOf(item.value);
  if (!item || !jpeg) {
    notFound(res, `channel ${JSON.stringify(name)} has no image yet; try again once a frame is put`);
    return;
  }
  res.writeHead(200, { "content-type": "image/jpeg", "content-length": jpeg.length, "cache-control": "no-store", "x-pts-timestamp": String(item.ts) });
  res.end(jpeg);
}

/**
 * GET /channels/<name>/stream.mjpeg: the newest image, then each new one as it is put, until the
 * client disconnects or the channel closes (the runtime stops).
 */
export async function serveStream(req: http.IncomingMessage, res: http.ServerResponse, name: string, h: HostedChannel<unknown> | undefined): Promise<void> {
  if (refuse(res, name, h)) return;
  const channel = h!;
  const abort = new AbortController();
  const stop = () => abort.abort(new Error("the client disconnected"));
  req.once("close", stop);
  res.once("close", stop);
  res.writeHead(200, {
    "content-type": `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    "cache-control": "no-store",
    connection: "close",
  });
  const newest = channel.newestItem();
  let after = newest ? newest.ts - 1 : -1;
  try {
    while (!abort.signal.aborted) {
      const item = await channel.nextAfter(after, undefined, abort.signal);
      after = item.ts;
      const jpeg = jpegOf(item.value);
      if (!jpeg) continue;
      const head = `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\nX-PTS-Timestamp: ${item.ts}\r\n\r\n`;
      res.write(head);
      res.write(jpeg);
      if (!res.write("\r\n")) {
        // A slow client: wait until it has taken this frame, then go on from the newest one
        // rather than sending every frame it fell behind on.
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          abort.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        const latest = channel.newestItem();
        if (latest && latest.ts - 1 > after) after = latest.ts - 1;
      }
    }
  } catch {
    // The client went away (aborted wait) or the channel closed: either way the stream ends.
  } finally {
    req.off("close", stop);
    res.off("close", stop);
    if (!res.writableEnded) res.end();
  }
}
