// A pipeline split across two processes over NATS gives the same events as one process:
// `pts run --stages sense` hosts the camera's channel in one process; the prioritize, process and
// actuate stages run in another and read it over NATS.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { type Box, type PipelineStats, Runtime, runPipeline } from "../../index.ts";
import { create as motionAlert } from "../../pipelines/examples/motion-alert.ts";
import { startNatsServer } from "../helpers/natsServer.ts";
import { startPts } from "../channels/remote/ptsProcess.ts";

const FRAMES = 30;
// Deterministic frames, a queue that drops nothing, one detector: the events are a function of the frames.
const ARGS = ["--frames", String(FRAMES), "--fps", "20", "--size", "320x240", "--speed", "8", "--seed", "5", "--queue", "64", "--max-age-ms", "600000"];

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-split-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function until(stats: () => PipelineStats, done: (s: PipelineStats) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (done(stats())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(stats().stages)}`);
}

type Written = { value: { camera: string; seq: number; score: number; boxes: Box[] } };
const events = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as Written).value)
    .map((e) => `#${e.seq} ${e.score.toFixed(6)} ${JSON.stringify(e.boxes)}`)
    .sort();

t.test("split - sense in one process, the other stages in another, same events as one process", async (t) => {
  const oneDir = tempDir(t);
  const rt = await Runtime.start();
  const one = await runPipeline(rt, motionAlert([...ARGS, "--events", oneDir]));
  await until(one.stats, (s) => s.stages.process.in >= FRAMES, `${FRAMES} frames in one process`);
  await one.stop();
  await rt.stop();
  const expected = events(oneDir);
  t.ok(expected.length >= 5, `one process raised events (${expected.length})`);

  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const sense = await startPts(["run", "pipelines/examples/motion-alert.ts", "--nats", nats.url, "--stages", "sense", "--for", "120s", "--", ...ARGS], "motion-alert running");
  t.teardown(() => sense.kill());
  const splitDir = tempDir(t);
  const remote = await Runtime.start({ nats: nats.url });
  t.teardown(() => remote.stop());
  const rest = await runPipeline(remote, motionAlert([...ARGS, "--events", splitDir]), { stages: ["prioritize", "process", "actuate"] });
  await until(rest.stats, (s) => s.stages.process.in >= FRAMES, `${FRAMES} frames over NATS`);
  await rest.stop();
  t.same(events(splitDir), expected, "the same events, frame for frame");
  t.equal(rest.stats().stages.prioritize.dropped.stale + rest.stats().stages.prioritize.dropped.shed, 0);
});
