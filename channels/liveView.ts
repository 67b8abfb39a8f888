/**
 * The live view: pages on the metrics server (runtime/metrics.ts, loopback by default) where a
 * person watches a runtime in a browser.
 *
 * - `GET /` and `/live`: the page (channels/liveViewPage.ts), which polls the JSON below.
 * - `GET /api/channels`: the hosted channels with their counts, time span, bytes and whether
 *   they carry images.
 * - `GET /api/pipelines`: `[]` here; the pipelines layer serves it when pipelines run
 *   (pipelines/liveViewPipelines.ts registers the longer prefix, which answers first).
 * - `GET /channels/<urlencoded name>/latest.jpg` and `/stream.mjpeg`: a channel's images
 *   (channels/liveViewImages.ts).
 *
 * Everything is read when asked for; nothing here runs on a put.
 *
 * @example
 *   const rt = await Runtime.start({ metrics: { port: 9464 } });
 *   // open http://127.0.0.1:9464/ — the runtime registers the live view itself
 */
import type http from "node:http";
import type { Metrics } from "../runtime/index.ts";
import type { HostedChannel } from "./hostedChannel.ts";
import { imageKind, serveLatest, serveStream, type ImageKind } from "./liveViewImages.ts";
import { LIVE_VIEW_PAGE } from "./liveViewPage.ts";

/** One channel as /api/channels shows it. */
export type LiveChannel = {
  name: string;
  codec: string;
  items: number;
  puts: number;
  evicted: number;
  /** Timestamps (µs since the epoch) of the oldest and newest items, and the span between, in ms. */
  oldest: number | null;
  newest: number | null;
  spanMs: number | null;
  /** Encoded bytes in the live window (channels with retain.bytes), else null. */
  windowBytes: number | null;
  /** Bytes of data files on disk (persistent channels), else null. */
  storedBytes: number | null;
  storedItems: number | null;
  /** How the channel's images are found, or null when it has none. */
  image: ImageKind | null;
};

const IMAGE_PATH = /^\/channels\/(.+)\/(latest\.jpg|stream\.mjpeg)$/;

/** What /api/channels answers: the time it was read (µs) and the channels, by name. */
export function liveChannels(channels: readonly HostedChannel<unknown>[]): { now: number; channels: LiveChannel[] } {
  const list = channels.map((h): LiveChannel => {
    const s = h.stats();
    return {
      name: s.name,
      codec: h.codec.name,
      items: s.items,
      puts: s.puts,
      evicted: s.evicted,
      oldest: s.oldest ?? null,
      newest: s.newest ?? null,
      spanMs: s.oldest === undefined || s.newest === undefined ? null : (s.newest - s.oldest) / 1000,
      windowBytes: s.bytes,
      storedBytes: s.stored?.bytes ?? null,
      storedItems: s.stored?.items ?? null,
      image: imageKind(h) ?? null,
    };
  });
  list.sort((a, b) => a.name.localeCompare(b.name));
  return { now: Date.now() * 1000, channels: list };
}

function json(res: http.ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** Registers the live view's pages on a runtime's metrics server. */
export function registerLiveView(m: Metrics, channels: () => HostedChannel<unknown>[]): void {
  const find = (name: string) => channels().find((h) => h.name === name);
  m.route("/", async (req, res, path) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" });
      res.end("the live view only answers GET\n");
      return;
    }
    if (path === "/" || path === "/live") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(LIVE_VIEW_PAGE);
      return;
    }
    if (path === "/api/channels") return json(res, liveChannels(channels()));
    if (path === "/api/pipelines") return json(res, { now: Date.now() * 1000, pipelines: [] });
    const image = IMAGE_PATH.exec(path);
    if (image) {
      let name: string;
      try {
        name = decodeURIComponent(image[1]);
      } catch {
        res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
        res.end(`bad channel name in ${path}: encode it with encodeURIComponent\n`);
        return;
      }
      if (image[2] === "latest.jpg") return serveLatest(res, name, find(name));
      return serveStream(req, res, name, find(name));
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("not found: try / (the live view), /api/channels, /api/pipelines, /channels/<name>/latest.jpg, /channels/<name>/stream.mjpeg, /metrics, /healthz or /readyz\n");
  });
}
