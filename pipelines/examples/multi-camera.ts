/**
 * multi-camera: 4 cameras sharing one process pool, prioritized by activity.
 *
 *   pts run pipelines/examples/multi-camera.ts -- [--fps 30] [--workers 2] [--size 320x240] [--frames N] [--events DIR]
 *
 * Cameras "cam-0" and "cam-1" watch moving objects; "cam-2" and "cam-3" watch still scenes.
 * The pool (--workers, default 2) cannot keep up with 4 × fps frames, so the prioritize stage
 * decides: a frame's priority is its camera's recent activity (motion events, decaying), so
 * busy cameras are served before idle ones; a frame older than 500 ms is dropped, never
 * processed late; weighted fairness still gives each camera a share so an idle camera that
 * becomes busy is noticed. Motion events are printed and written to --events DIR (default
 * ./events/multi-camera).
 */
import { FileWriterActuator, LogActuator } from "../../actuators/index.ts";
import { type Frame, MotionDetector, SyntheticCamera, frameCodec } from "../../sensors/index.ts";
import { pipeline } from "../pipeline.ts";
import { type MotionEvent, motionEventCodec } from "./motion-alert.ts";
import { annotateBoxes } from "../../sensors/index.ts";

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export const CAMERAS = ["cam-0", "cam-1", "cam-2", "cam-3"];

export function create(args: readonly string[]) {
  const fps = option(args, "fps", 30);
  const frames = option(args, "frames", 0);
  const sizeIndex = args.indexOf("--size");
  const [width, height] = (sizeIndex >= 0 ? args[sizeIndex + 1] : "320x240").split("x").map(Number);
  const eventsIndex = args.indexOf("--events");
  const eventsDir = eventsIndex >= 0 ? args[eventsIndex + 1] : "events/multi-camera";
  const detectors = new Map(CAMERAS.map((c) => [c, new MotionDetector()]));
  /** Recent motion per camera: +1 per event, halved every second. */
  const activity = new Map(CAMERAS.map((c) => [c, 0]));
  const decay = setInterval(() => {
    for (const [c, a] of activity) activity.set(c, a / 2);
  }, 1000);
  decay.unref();
  return pipeline<Frame, MotionEvent>({
    name: "multi-camera",
    sense: {
      sources: (sink) =>
        CAMERAS.map(
          (id, k) =>
            new SyntheticCamera({ channel: sink, id, seed: 10 + k, width, height, fps, objects: k < 2 ? 2 : 1, speed: k < 2 ? 6 : 0, ...(frames > 0 ? { frames } : {}) }),
        ),
      channel: { codec: frameCodec, retain: { count: 256 } },
    },
    prioritize: {
      capacity: 8,
      maxAgeMs: 500,
      key: (item) => item.value.camera,
      priority: (item) => activity.get(item.value.camera) ?? 0,
    },
    process: {
      concurrency: option(args, "workers", 2),
      timeoutMs: 5000,
      channel: { codec: motionEventCodec, retain: { count: 256 } },
      fn: async ({ value: frame }) => {
        const { score, boxes } = await detectors.get(frame.camera)!.detect(frame);
        if (score < 0.002 || boxes.length === 0) return undefined;
        activity.set(frame.camera, (activity.get(frame.camera) ?? 0) + 1);
        return { camera: frame.camera, seq: frame.seq, score, boxes, width: frame.width, height: frame.height, snapshot: await annotateBoxes(frame, boxes) };
      },
    },
    actuate: {
      actuators: (ctx) => [
        new FileWriterActuator<MotionEvent>({ dir: eventsDir, prefix: "motion", deadLetter: ctx.deadLetter }),
        new LogActuator<MotionEvent>({ format: "text", name: "motion" }),
      ],
    },
  });
}
