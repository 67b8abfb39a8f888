/**
 * The demo pipeline for the Prometheus test: pipelines/examples/motion-alert.ts as `npm start`
 * runs it, with three additions so that every dashboard panel has something to show:
 * - its events channel is persistent (the runtime runs with --data), so the storage panels and
 *   the stored-items/bytes panels see LRVM commits and data files;
 * - its sense channel also bounds its bytes (retain.bytes), so the live-window-bytes panel has data;
 * - a second camera polls a snapshot URL where nothing listens (`--dead-camera URL`), so the
 *   sensor error and reconnect panels see real connect errors;
 * - a viewer reads the newest frame and the newest event a few times a second, as a dashboard
 *   would, so the gets panel sees get() calls beyond the stages' start-up reads.
 *
 *   pts run test/grafana/demoPipeline.ts --data DIR --nats URL -- --events DIR --dead-camera http://127.0.0.1:PORT/snap.jpg
 */
import type { Frame } from "../../sensors/index.ts";
import { SnapshotCamera } from "../../sensors/index.ts";
import { create as motionAlert, type MotionEvent } from "../../pipelines/examples/motion-alert.ts";
import type { PipelineContext, PipelineDefinition, Source } from "../../pipelines/index.ts";

const VIEWER_MS = 250;

/** Reads the newest item of each channel every VIEWER_MS. */
function viewer(ctx: PipelineContext, names: readonly string[]): Source {
  let timer: NodeJS.Timeout | undefined;
  return {
    start: () => {
      timer = setInterval(() => {
        for (const name of names) void ctx.rt.lookup(name).then((ch) => ch.get("newest")).catch(() => undefined);
      }, VIEWER_MS);
    },
    stop: async () => clearInterval(timer),
  };
}

export function create(args: readonly string[]): PipelineDefinition<Frame, MotionEvent> {
  const def = motionAlert(args);
  const i = args.indexOf("--dead-camera");
  const deadUrl = i >= 0 ? args[i + 1] : undefined;
  return {
    ...def,
    sense: {
      ...def.sense,
      channel: { ...def.sense.channel, retain: { count: 64, bytes: 64 * 1024 * 1024 } },
      sources: async (sink, ctx) => {
        const own = await def.sense.sources(sink, ctx);
        const list: Source[] = Array.isArray(own) ? [...own] : [own];
        if (deadUrl !== undefined) list.push(new SnapshotCamera({ channel: sink, url: deadUrl, rate: 2, timeoutMs: 500 }));
        list.push(viewer(ctx, [`${def.name}.sense`, `${def.name}.process`]));
        return list;
      },
    },
    process: { ...def.process, channel: { ...def.process.channel, persist: { mode: "sync" } } },
  };
}
