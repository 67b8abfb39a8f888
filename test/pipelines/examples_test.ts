// The three example pipelines, end to end, on real producers.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { type Box, type Item, Runtime, runPipeline, SyntheticSource, type SyntheticReading } from "../../index.ts";
import { create as motionAlert } from "../../pipelines/examples/motion-alert.ts";
import { CAMERAS, create as multiCamera } from "../../pipelines/examples/multi-camera.ts";
import { type Alarm, create as sensorThreshold } from "../../pipelines/examples/sensor-threshold.ts";
import { ffmpegMjpegServer } from "../sensors/cameraHelpers.ts";
import { tempDir, until } from "../helpers.ts";



type Written = { ts: number; value: { camera: string; seq: number; score: number; boxes: Box[] } };
const writtenEvents = (dir: string): Written[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Written)
    .sort((a, b) => a.value.seq - b.value.seq);

t.test("sensor-threshold - raises exactly the alarms a rolling average says", async (t) => {
  const rt = await Runtime.start();
  t.teardown(() => rt.stop());
  const args = ["--count", "600", "--rate", "3000", "--seed", "11", "--threshold", "20.6"];
  const alarms: Item<Alarm>[] = [];
  const running = await runPipeline(rt, sensorThreshold(args), { onEvent: (e) => void alarms.push(e as Item<Alarm>) });
  await until(() => running.stats().stages.process.in >= 600, "600 readings processed", 60_000, () => running.stats().stages);
  await running.stop();

  // The same readings again (the source is deterministic), and the rule by hand.
  const ref = await rt.channel<SyntheticReading>("reference");
  const source = new SyntheticSource({ channel: ref, seed: 11, perSecond: 3000, sensors: 3, count: 600, startTs: 1_800_000_000_000_000 });
  await source.start();
  await source.done();
  const expected: string[] = [];
  const windows = new Map<string, number[]>();
  const above = new Map<string, boolean>();
  for (const { value } of await ref.get("oldest", "newest")) {
    const w = [...(windows.get(value.sensor) ?? []), value.value].slice(-10);
    windows.set(value.sensor, w);
    const avg = w.reduce((a, b) => a + b, 0) / w.length;
    if (!(above.get(value.sensor) ?? false) && avg > 20.6) expected.push(`${value.sensor}@${value.seq}`);
    above.set(value.sensor, avg > 20.6);
  }
  t.ok(expected.length > 0, `the data crosses the threshold (${expected.length} alarms expected)`);
  const readings = new Map((await ref.get("oldest", "newest")).map((i) => [i.ts, i.value.seq]));
  t.same(alarms.map((a) => `${a.value.sensor}@${readings.get(a.ts)}`).sort(), expected.sort(), "the same alarms, at the same readings");
  t.same(running.stats().stages.prioritize.dropped, { stale: 0, shed: 0 });
});

t.test("motion-alert - an object crossing an ffmpeg MJPEG stream raises alerts with boxes where it was", async (t) => {
  const events = await tempDir(t);
  // A dark scene; a white 40x40 square moves right along y = 100..140. (The detector works in
  // grey, where pure red on mid-grey would be nearly invisible.)
  const crossing = "color=c=0x404040:s=320x240:r=10[bg];color=c=white:s=40x40:r=10[fg];[bg][fg]overlay=x='mod(t*60\\,280)':y=100";
  const camera = await ffmpegMjpegServer(t, "320x240", 10, crossing);
  const rt = await Runtime.start();
  t.teardown(() => rt.stop());
  const running = await runPipeline(rt, motionAlert(["--camera", camera.url, "--events", events]));
  await until(() => running.stats().stages.actuate.ok >= 5, "five motion events", 60_000, () => running.stats().stages);
  await running.stop();
  const written = writtenEvents(events);
  t.ok(written.length >= 5, `events were written (${written.length})`);
  for (const e of written) {
    t.ok(e.value.boxes.length > 0, "each event has boxes");
    const overlaps = e.value.boxes.some((b) => b.y <= 140 && b.y + b.height >= 100);
    t.ok(overlaps, `a box of event #${e.value.seq} covers the square's rows: ${JSON.stringify(e.value.boxes)}`);
  }
  t.equal(readdirSync(events).filter((f) => f.endsWith(".jpg")).length, written.length, "each event has its annotated snapshot");
});

t.test("motion-alert - a still scene raises no alert", async (t) => {
  const events = await tempDir(t);
  const camera = await ffmpegMjpegServer(t, "320x240", 10, "color=c=0x808080:s=320x240:r=10,drawbox=x=100:y=80:w=60:h=60:color=blue:t=fill");
  const rt = await Runtime.start();
  t.teardown(() => rt.stop());
  const running = await runPipeline(rt, motionAlert(["--camera", camera.url, "--events", events]));
  await until(() => running.stats().stages.process.in >= 20, "20 frames processed", 60_000, () => running.stats().stages);
  await running.stop();
  t.equal(running.stats().stages.process.out, 0, "no motion events");
  t.same(readdirSync(events), [], "nothing written");
});

t.test("multi-camera - busy cameras come first, still ones raise nothing, every drop is counted", async (t) => {
  const events = await tempDir(t);
  const rt = await Runtime.start();
  t.teardown(() => rt.stop());
  const processed = new Map<string, number>(CAMERAS.map((c) => [c, 0]));
  const def = multiCamera(["--fps", "20", "--workers", "1", "--size", "160x120", "--events", events]);
  const fn = def.process.fn;
  // Process slower than arrival, whatever the machine: at least 25 ms a frame against 80 frames/s.
  def.process.fn = async (item, signal) => {
    processed.set(item.value.camera, (processed.get(item.value.camera) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 25));
    return fn(item, signal);
  };
  const running = await runPipeline(rt, def);
  await until(() => running.stats().stages.process.in >= 40 && running.stats().stages.actuate.ok >= 3, "40 frames processed and 3 events", 60_000, () => running.stats().stages);
  await running.stop();
  const s = running.stats().stages;
  const cams = new Set(writtenEvents(events).map((e) => e.value.camera));
  t.ok(cams.has("cam-0") || cams.has("cam-1"), `busy cameras raised events (${[...cams].join(", ")})`);
  t.notOk(cams.has("cam-2") || cams.has("cam-3"), "still cameras raised none");
  const busy = processed.get("cam-0")! + processed.get("cam-1")!;
  const still = processed.get("cam-2")! + processed.get("cam-3")!;
  t.ok(busy > still, `busy cameras got more of the pool (${busy} frames) than still ones (${still})`);
  t.equal(s.prioritize.in, s.prioritize.out + s.prioritize.dropped.stale + s.prioritize.dropped.shed + s.prioritize.depth, "every frame was processed, is queued, or was dropped for a counted reason");
  t.ok(s.prioritize.dropped.stale + s.prioritize.dropped.shed > 0, "the overloaded pool dropped frames, by reason");
});
