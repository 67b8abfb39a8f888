import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t, { type Test } from "tap";
import sharp from "sharp";
import { DirectoryCamera } from "../../sensors/index.ts";
import { errorWatch, ffmpeg, frameChannel, frames } from "./cameraHelpers.ts";

/** ffmpeg writes an image sequence of n frames into a fresh directory. */
function sequence(t: Test, n: number): string {
  const dir = t.testdir();
  ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-frames:v", String(n), "-q:v", "4", path.join(dir, "img-%d.jpg")]);
  return dir;
}

t.test("directory - replays ffmpeg's image sequence in name order, once, timestamps from the rate", async (t) => {
  const dir = sequence(t, 12);
  const ch = await frameChannel(t);
  const cam = new DirectoryCamera({ path: dir, rate: 1000, startTs: 1_000_000, channel: ch }).start();
  await cam.finished;
  const got = await ch.get("oldest", "newest");
  t.equal(got.length, 12);
  t.same(got.map((i) => i.ts), Array.from({ length: 12 }, (_, k) => 1_000_000 + k * 1000), "1/rate apart from startTs");
  const files = Array.from({ length: 12 }, (_, k) => fs.readFileSync(path.join(dir, `img-${k + 1}.jpg`)));
  t.same(got.map((i) => Buffer.compare(i.value.jpeg, files[i.value.seq])), Array(12).fill(0), "img-9 before img-10: numeric order");
  t.same([got[0].value.width, got[0].value.height], [160, 120]);
  const s = cam.stats();
  t.equal(s.state, "ended");
  t.equal(s.frames, 12);
  t.same(s.errors, {});
});

t.test("directory - a glob, looping, with timestamps from file times", async (t) => {
  const dir = sequence(t, 3);
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an image");
  for (let k = 1; k <= 3; k++) fs.utimesSync(path.join(dir, `img-${k}.jpg`), 1_700_000_000 + k, 1_700_000_000 + k);
  const ch = await frameChannel(t);
  const cam = new DirectoryCamera({ path: path.join(dir, "img-*.jpg"), rate: 1000, loop: true, timestamps: "mtime", channel: ch }).start();
  const got = await frames(ch, 7);
  await cam.stop();
  const s = 1_000_000;
  const first = 1_700_000_001 * s;
  // a pass spans 2 s of file times; the next pass starts one frame interval (1 ms) after it
  t.same(got.map((i) => i.ts - first), [0, s, 2 * s, 2 * s + 1000, 3 * s + 1000, 4 * s + 1000, 4 * s + 2000]);
  t.equal(cam.stats().state, "stopped");
});

t.test("directory - unreadable and corrupt files are counted and skipped; other formats become JPEG", async (t) => {
  const dir = t.testdir({ "a.jpg": Buffer.from("garbage, not a jpeg"), "c.jpg": Buffer.alloc(0) });
  await sharp({ create: { width: 40, height: 30, channels: 3, background: "#3080c0" } }).png().toFile(path.join(dir, "b.png"));
  const ch = await frameChannel(t);
  const cam = new DirectoryCamera({ path: dir, rate: 1000, channel: ch }).start();
  await cam.finished;
  const got = await ch.get("oldest", "newest");
  t.equal(got.length, 1);
  t.same([got[0].value.width, got[0].value.height], [40, 30]);
  t.equal((await sharp(got[0].value.jpeg).metadata()).format, "jpeg");
  t.equal(cam.stats().errors.corrupt, 2);
});

t.test("directory - a missing directory is retried until it appears", async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pts-dir-"));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, "later");
  const ch = await frameChannel(t);
  const watch = errorWatch();
  const missing = watch.next("read");
  const cam = new DirectoryCamera({ path: dir, rate: 1000, channel: ch, onError: watch.onError, backoff: { initialMs: 5, maxMs: 20 } }).start();
  await missing;
  const staging = path.join(root, "staging");
  fs.mkdirSync(staging);
  ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "2", path.join(staging, "f%d.jpg")]);
  fs.renameSync(staging, dir); // both files appear at once
  await cam.finished;
  t.equal(cam.stats().frames, 2);
  t.ok(cam.stats().reconnects >= 1);
  t.equal(cam.stats().state, "ended");
});
