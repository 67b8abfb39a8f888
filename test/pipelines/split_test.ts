// A pipeline split across two processes over NATS gives the same events as one process:
// `pts run --stages sense` hosts the camera's channel in one process; the prioritize, process and
// actuate stages run in another and read it over NATS.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { type Box, Runtime, runPipeline } from "../../index.ts";
import { create as motionAlert } from "../../pipelines/examples/motion-alert.ts";
import { startNatsServer } from "../helpers/natsServer.ts";
import { startPts } from "../channels/remote/ptsProcess.ts";
import { tempDir, until } from "../helpers.ts";

const FRAMES = 30;
// Deterministic frames, a queue that drops nothing, one detector: the events are a function of the frames.
const ARGS = ["--frames", String(FRAMES), "--fps", "20", "--size", "320x240", "--speed", "8", "--seed", "5", "--queue", "64", "--max-age-ms", "600000"];



type Written = { value: { camera: string; seq: number; score: number; boxes: Box[] } };
const events = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as Written).value)
    .map((e) => `#${e.seq} ${e.score.toFixed(6)} ${JSON.stringify(e.boxes)}`)
    .sort();

t.test("split - sense in one process, the other stages in another, same events as one process", async (t) => {
  const oneDir = await tempDir(t);
  const rt = await Runtime.start();
  const one = await runPipeline(rt, motionAlert([...ARGS, "--events", oneDir]));
  await until(() => one.stats().stages.process.in >= FRAMES, `${FRAMES} frames in one process`, 60_000, () => one.stats().stages);
  await one.stop();
  await rt.stop();
  const expected = events(oneDir);
  t.ok(expected.length >= 5, `one process raised events (${expected.length})`);

  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const sense = await startPts(["run", "pipelines/examples/motion-alert.ts", "--nats", nats.url, "--stages", "sense", "--for", "120s", "--", ...ARGS], "motion-alert running");
  t.teardown(() => sense.kill());
  const splitDir = await tempDir(t);
  const remote = await Runtime.start({ nats: nats.url });
  t.teardown(() => remote.stop());
  const rest = await runPipeline(remote, motionAlert([...ARGS, "--events", splitDir]), { stages: ["prioritize", "process", "actuate"] });
  await until(() => rest.stats().stages.process.in >= FRAMES, `${FRAMES} frames over NATS`, 60_000, () => rest.stats().stages);
  await rest.stop();
  t.same(events(splitDir), expected, "the same events, frame for frame");
  t.equal(rest.stats().stages.prioritize.dropped.stale + rest.stats().stages.prioritize.dropped.shed, 0);
});
