import path from "node:path";
import t from "tap";
import { FfmpegCamera } from "../../sensors/index.ts";
import { errorWatch, ffmpeg, frameChannel, frames } from "./cameraHelpers.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test("ffmpeg - reads a video file ffmpeg generated, to its end", async (t) => {
  const dir = t.testdir();
  const video = path.join(dir, "clip.mp4");
  ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "20", "-c:v", "mpeg4", video]);
  const ch = await frameChannel(t);
  const cam = new FfmpegCamera({ input: video, restart: false, channel: ch, id: "clip" }).start();
  await cam.finished;
  const got = await ch.get("oldest", "newest");
  t.equal(got.length, 20, "every frame of the file");
  t.same(got.map((i) => i.value.seq), [...Array(20).keys()]);
  t.ok(got.every((i) => i.value.width === 320 && i.value.height === 240 && i.value.camera === "clip"));
  const s = cam.stats();
  t.equal(s.state, "ended");
  t.same(s.errors, {});
  t.equal(s.reconnects, 0);
});

t.test("ffmpeg - a live source, outputArgs applied, the child killed on stop", async (t) => {
  const ch = await frameChannel(t);
  const cam = new FfmpegCamera({
    input: "testsrc=size=640x480:rate=10",
    inputArgs: ["-re", "-f", "lavfi"],
    outputArgs: ["-vf", "scale=320:-2"],
    channel: ch,
  }).start();
  const got = await frames(ch, 3);
  t.same([got[0].value.width, got[0].value.height], [320, 240]);
  const pid = cam.pid;
  t.ok(pid !== undefined && alive(pid), "ffmpeg is running");
  await cam.stop();
  t.notOk(alive(pid!), "ffmpeg has exited when stop() resolves");
  t.equal(cam.pid, undefined);
  t.equal(cam.stats().state, "stopped");
});

t.test("ffmpeg - an input that fails is counted with ffmpeg's message and retried", async (t) => {
  const ch = await frameChannel(t);
  const watch = errorWatch();
  const failed = watch.next("process");
  const again = failed.then(() => watch.next("process"));
  const cam = new FfmpegCamera({ input: path.join(t.testdir(), "missing.mp4"), channel: ch, onError: watch.onError, backoff: { initialMs: 5 } }).start();
  const err = await failed;
  await again;
  await cam.stop();
  t.match(err.message, /No such file/);
  t.ok(cam.stats().reconnects >= 1);
  t.equal(cam.stats().frames, 0);
});

t.test("ffmpeg - a missing executable is a process error, not a crash", async (t) => {
  const ch = await frameChannel(t);
  const watch = errorWatch();
  const failed = watch.next("process");
  const cam = new FfmpegCamera({ input: "x", ffmpeg: "/nonexistent/ffmpeg", channel: ch, onError: watch.onError, backoff: { initialMs: 60_000 } }).start();
  t.match((await failed).message, /ENOENT/);
  await cam.stop();
});
