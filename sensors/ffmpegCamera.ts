/**
 * FfmpegCamera: frames from anything ffmpeg opens — RTSP and HTTP cameras, V4L2 devices
 * (/dev/video0), video files, lavfi test sources — through an ffmpeg child process that writes
 * MJPEG (`-f mjpeg`) to its stdout, cut into JPEGs and put into a channel.
 *
 * Guarantees:
 * - The child is killed when the source stops (SIGTERM, then SIGKILL after `killAfterMs`), and
 *   stop() resolves only once it has exited. No child outlives its source.
 * - A child that cannot start, exits with an error or stops writing is counted ("process",
 *   "stream", with the tail of its stderr in the message) and started again with backoff
 *   (counted in `reconnects`). A clean exit (end of a file) ends the source when `restart` is
 *   false; otherwise the child is started again.
 * - Bytes that are not a JPEG are skipped; a corrupt JPEG is counted and skipped. Frames coming
 *   faster than `rate` are dropped and counted (prefer ffmpeg's own `-r` in `outputArgs`,
 *   which saves the encoding). Each frame's ts is its arrival time (µs), strictly increasing.
 *
 * @example
 *   const cam = new FfmpegCamera({
 *     input: "rtsp://10.0.0.7:554/stream1",
 *     inputArgs: ["-rtsp_transport", "tcp"],
 *     outputArgs: ["-vf", "scale=640:-2", "-r", "10"],
 *     channel: video,
 *   }).start();
 *
 * @param options.input       what ffmpeg's -i gets: a URL, device or file
 * @param options.inputArgs   options before -i (e.g. ["-f", "v4l2"], ["-re"] to read a file in real time)
 * @param options.outputArgs  options before the MJPEG output (filters, -r, -frames:v)
 * @param options.quality     JPEG quality as ffmpeg's -q:v, 2 (best) to 31 (default 5)
 * @param options.restart     start ffmpeg again after a clean exit (default true)
 * @param options.ffmpeg      the ffmpeg executable (default "ffmpeg", from PATH)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { ChannelClosedError } from "../channels/index.ts";
import { SensorError } from "./errors.ts";
import { CameraBase } from "./cameraInternals.ts";
import { JpegSplitter } from "./jpegInternals.ts";
import type { CameraOptions } from "./types.ts";

export type FfmpegCameraOptions = CameraOptions & {
  input: string;
  inputArgs?: string[];
  outputArgs?: string[];
  quality?: number;
  restart?: boolean;
  ffmpeg?: string;
  killAfterMs?: number;
};

const STDERR_TAIL = 2048;

export class FfmpegCamera extends CameraBase {
  private readonly args: string[];
  private readonly restart: boolean;
  private readonly ffmpeg: string;
  private readonly killAfterMs: number;
  private child: ChildProcess | undefined;

  constructor(options: FfmpegCameraOptions) {
    super(options, options.input.slice(0, 255));
    this.args = [
      "-hide_banner", "-nostdin", "-loglevel", "error",
      ...(options.inputArgs ?? []), "-i", options.input,
      ...(options.outputArgs ?? []),
      "-an", "-f", "mjpeg", "-q:v", String(options.quality ?? 5), "pipe:1",
    ];
    this.restart = options.restart ?? true;
    this.ffmpeg = options.ffmpeg ?? "ffmpeg";
    this.killAfterMs = options.killAfterMs ?? 2000;
  }

  /** The running ffmpeg child's pid, if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected async session(signal: AbortSignal): Promise<"done" | void> {
    if (signal.aborted) return "done";
    const child = spawn(this.ffmpeg, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => (stderr = (stderr + s).slice(-STDERR_TAIL)));
    const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, error }));
      child.once("close", (code) => resolve({ code }));
    });
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), this.killAfterMs);
    };
    signal.addEventListener("abort", kill, { once: true });
    const splitter = new JpegSplitter();
    let failure: unknown;
    try {
      for await (const chunk of child.stdout) {
        for (const jpeg of splitter.push(chunk as Buffer)) {
          if (this.admit()) await this.frame(jpeg);
        }
      }
    } catch (err) {
      failure = err;
      kill();
    }
    const { code, error } = await exited;
    this.child = undefined;
    signal.removeEventListener("abort", kill);
    clearTimeout(killTimer);
    if (signal.aborted) return "done";
    if (failure instanceof ChannelClosedError) throw failure;
    if (failure !== undefined) throw new SensorError(this.id, "stream", `reading ffmpeg's output: ${(failure as Error).message}`, failure);
    if (splitter.pending > 0) this.count(new SensorError(this.id, "truncated", `ffmpeg's output ended inside a JPEG, ${splitter.pending} bytes in`));
    if (error) throw new SensorError(this.id, "process", `cannot run ${this.ffmpeg}: ${error.message}`, error);
    if (code !== 0) throw new SensorError(this.id, "process", `ffmpeg exited with code ${code}: ${stderr.trim() || "no message"}`);
    if (!this.restart) return "done";
    throw new SensorError(this.id, "stream", "ffmpeg ended; starting it again");
  }
}
