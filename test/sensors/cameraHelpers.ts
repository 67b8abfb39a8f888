/**
 * Helpers of the camera tests: real producers on loopback (an HTTP server relaying ffmpeg's
 * MJPEG output, a scripted multipart server for injected faults), a frame channel, and waits
 * that end on events rather than on time.
 */
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Test } from "tap";
import { frameCodec, SyntheticCamera, type Frame, type SensorError } from "../../sensors/index.ts";
import type { Channel, Item } from "../../channels/index.ts";
import { runtime } from "../helpers.ts";

export const BOUNDARY = "ptsframe";

/** A memory channel of frames with the frame codec, on a runtime stopped at the test's end. */
export async function frameChannel(t: Test, name = "video"): Promise<Channel<Frame>> {
  const rt = await runtime(t);
  return rt.channel<Frame>(name, { codec: frameCodec, retain: { count: 1000 } });
}

/** Waits for the next n frames after `afterTs` (default 0: from the start). */
export async function frames(ch: Channel<Frame>, n: number, afterTs = 0): Promise<Item<Frame>[]> {
  const out: Item<Frame>[] = [];
  let ts = afterTs;
  while (out.length < n) {
    const item = await ch.next(ts);
    out.push(item);
    ts = item.ts;
  }
  return out;
}

/** An HTTP server on 127.0.0.1 (port chosen by the OS), closed at the test's end. */
export async function server(t: Test, handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const srv = http.createServer(handler);
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    srv.closeAllConnections();
    srv.close(() => resolve());
  }));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server: srv };
}

/**
 * An HTTP server that runs `ffmpeg -f lavfi -i testsrc=… -f mpjpeg pipe:1` for each request and
 * relays its stdout, as an IP camera serves MJPEG; the child is killed when the client leaves.
 * `requests` counts connections.
 */
export async function ffmpegMjpegServer(t: Test, size = "320x240", rate = 10, lavfi = `testsrc=size=${size}:rate=${rate}`): Promise<{ url: string; requests: () => number; dropAll: () => void }> {
  let requests = 0;
  const children = new Set<ReturnType<typeof spawn>>();
  const { url, server: srv } = await server(t, (req, res) => {
    requests++;
    const child = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", lavfi, "-q:v", "5", "-f", "mpjpeg", "-boundary_tag", BOUNDARY, "pipe:1"], { stdio: ["ignore", "pipe", "inherit"] });
    children.add(child);
    child.on("close", () => children.delete(child));
    res.writeHead(200, { "content-type": `multipart/x-mixed-replace;boundary=${BOUNDARY}` });
    child.stdout!.pipe(res);
    res.on("close", () => child.kill("SIGKILL"));
  });
  t.teardown(() => {
    for (const c of children) c.kill("SIGKILL");
  });
  return { url, requests: () => requests, dropAll: () => srv.closeAllConnections() };
}

/** One multipart part: headers (with or without Content-Length) and the body. */
export function part(body: Buffer, contentLength = true, length = body.length): Buffer {
  const head = `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\n${contentLength ? `Content-Length: ${length}\r\n` : ""}\r\n`;
  return Buffer.concat([Buffer.from(head), body, Buffer.from("\r\n")]);
}

/** Writes bytes in pieces of `size` bytes, each its own write, so the client sees split chunks. */
export async function writeSplit(res: http.ServerResponse, bytes: Buffer, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    if (!res.write(bytes.subarray(i, i + size))) await new Promise((resolve) => res.once("drain", resolve));
  }
}

/** JPEGs of a synthetic scene, for servers to serve. */
export async function jpegs(n: number, width = 160, height = 120, seed = 7): Promise<Buffer[]> {
  const cam = new SyntheticCamera({ seed, width, height });
  return Promise.all(Array.from({ length: n }, (_, i) => cam.render(i)));
}

/** A promise of the first error of a reason that onError receives, and the hook to pass. */
export function errorWatch(): { onError: (e: SensorError) => void; next: (reason: string) => Promise<SensorError> } {
  const waiting: { reason: string; resolve: (e: SensorError) => void }[] = [];
  return {
    onError(e) {
      for (let i = waiting.length - 1; i >= 0; i--) {
        if (waiting[i].reason === e.reason) {
          waiting[i].resolve(e);
          waiting.splice(i, 1);
        }
      }
    },
    next(reason) {
      return new Promise((resolve) => waiting.push({ reason, resolve }));
    },
  };
}

/** Runs ffmpeg to completion (for generating test media); throws with its stderr on failure. */
export function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${r.stderr}`);
}
