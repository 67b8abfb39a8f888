/**
 * motion-alert: a camera → motion detection → an annotated snapshot on disk and a webhook.
 *
 *   pts run pipelines/examples/motion-alert.ts -- [--camera synthetic|URL|DIR|<ffmpeg input>]
 *       [--events DIR] [--webhook URL] [--min-score 0.002] [--fps 10] [--frames N] [--seed S]
 *       [--speed PX] [--size 640x480] [--queue 4] [--max-age-ms 1000]
 *
 * - sense: the camera puts frames into `motion-alert.sense`. `synthetic` (default) renders
 *   moving objects; an http(s) URL ending in .jpg/.jpeg is a snapshot camera polled at --fps,
 *   any other URL an MJPEG stream; an existing directory is replayed at --fps; anything else
 *   goes to ffmpeg (a file, rtsp://…, /dev/video0).
 * - prioritize: a small queue with a 1 s deadline: a frame that could only be handled late is
 *   dropped (counted), never processed late.
 * - process: frame differencing (MotionDetector); a frame whose score passes --min-score
 *   becomes an event with the boxes where motion was and the frame annotated with them.
 * - actuate: each event is written to --events DIR (default ./events) as JSON plus the
 *   annotated JPEG, posted to --webhook URL when given, and printed.
 */
import { existsSync, statSync } from "node:fs";
import type { Item } from "../../channels/index.ts";
import { BaseActuator, FileWriterActuator, WebhookActuator, type Actuator } from "../../actuators/index.ts";
import { type Codec, toIso } from "../../runtime/index.ts";
import { type Box, type CameraSource, DirectoryCamera, FfmpegCamera, type Frame, MjpegCamera, MotionDetector, SnapshotCamera, SyntheticCamera, annotateBoxes, frameCodec } from "../../sensors/index.ts";
import { pipeline } from "../pipeline.ts";

export type MotionEvent = { camera: string; seq: number; score: number; boxes: Box[]; width: number; height: number; snapshot: Buffer };

/** Events travel as JSON with the snapshot in base64, so the events channel can be persisted or sent over NATS. */
export const motionEventCodec: Codec<MotionEvent> = {
  name: "motion-event",
  encode: (e) => Buffer.from(JSON.stringify({ ...e, snapshot: e.snapshot.toString("base64") })),
  decode: (b) => {
    const o = JSON.parse(Buffer.from(b).toString("utf8")) as Omit<MotionEvent, "snapshot"> & { snapshot: string };
    return { ...o, snapshot: Buffer.from(o.snapshot, "base64") };
  },
};

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The camera named by --camera, putting into sink. */
export function cameraFor(spec: string, sink: { put(f: Frame, ts?: number): Promise<void> }, args: readonly string[]): CameraSource {
  const fps = Number(option(args, "fps") ?? 10);
  const [width, height] = (option(args, "size") ?? "640x480").split("x").map(Number);
  if (spec === "synthetic") {
    const frames = option(args, "frames");
    return new SyntheticCamera({
      channel: sink,
      id: "synthetic",
      seed: Number(option(args, "seed") ?? 1),
      width,
      height,
      fps,
      objects: 1,
      speed: Number(option(args, "speed") ?? 8),
      ...(frames ? { frames: Number(frames) } : {}),
    });
  }
  if (/^https?:\/\//.test(spec)) {
    return /\.jpe?g(\?.*)?$/i.test(spec) ? new SnapshotCamera({ channel: sink, url: spec, rate: fps }) : new MjpegCamera({ channel: sink, url: spec });
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return new DirectoryCamera({ channel: sink, path: spec, rate: fps });
  return new FfmpegCamera({ channel: sink, input: spec, rate: fps });
}

/** Prints one line per event: time, camera, score and boxes. */
class PrintActuator extends BaseActuator<MotionEvent> {
  constructor() {
    super("print", { attempts: 1 });
  }
  protected async attempt(item: Item<MotionEvent>): Promise<void> {
    const e = item.value;
    process.stdout.write(`motion ${toIso(item.ts)} ${e.camera} #${e.seq} score ${e.score.toFixed(4)} boxes ${e.boxes.map((b) => `${b.x},${b.y} ${b.width}x${b.height}`).join("; ")}\n`);
  }
}

export function create(args: readonly string[]) {
  const camera = option(args, "camera") ?? "synthetic";
  const eventsDir = option(args, "events") ?? "events";
  const webhook = option(args, "webhook");
  const minScore = Number(option(args, "min-score") ?? 0.002);
  const motion = new MotionDetector();
  return pipeline<Frame, MotionEvent>({
    name: "motion-alert",
    sense: {
      sources: (sink) => cameraFor(camera, sink, args),
      channel: { codec: frameCodec, retain: { count: 64 } },
    },
    prioritize: { capacity: Number(option(args, "queue") ?? 4), maxAgeMs: Number(option(args, "max-age-ms") ?? 1000) },
    process: {
      // One detector compares each frame with the one before, so frames go through one at a time.
      concurrency: 1,
      timeoutMs: 5000,
      onError: "dead-letter",
      channel: { codec: motionEventCodec, retain: { count: 256 } },
      fn: async ({ value: frame }) => {
        const { score, boxes } = await motion.detect(frame);
        if (score < minScore || boxes.length === 0) return undefined;
        const snapshot = await annotateBoxes(frame, boxes, { labels: boxes.map(() => `motion ${(score * 100).toFixed(1)}%`) });
        return { camera: frame.camera, seq: frame.seq, score, boxes, width: frame.width, height: frame.height, snapshot };
      },
    },
    actuate: {
      actuators: (ctx) => {
        const list: Actuator<MotionEvent>[] = [new PrintActuator(), new FileWriterActuator<MotionEvent>({ dir: eventsDir, prefix: "motion", deadLetter: ctx.deadLetter })];
        if (webhook) list.push(new WebhookActuator<MotionEvent>({ url: webhook, deadLetter: ctx.deadLetter }));
        return list;
      },
    },
  });
}
