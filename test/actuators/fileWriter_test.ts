import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import t from "tap";
import { FileWriterActuator, type DeadLetter } from "../../actuators/index.ts";
import { runtime } from "../helpers.ts";
import { tempDir } from "../helpers.ts";

function jpeg(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 8, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg().toBuffer();
}

t.test("file writer - an event as JSON, and its JPEG frame as a .jpg beside it", async (t) => {
  const dir = join(await tempDir(t), "snapshots");
  const writer = new FileWriterActuator({ dir, prefix: "motion" });
  const frame = await jpeg();
  t.match(await writer.handle({ ts: 1_000_001, value: { camera: "gate", score: 0.9, jpeg: frame, mask: Buffer.from([1, 2]) } }), { status: "ok" });
  t.match(await writer.handle({ ts: 1_000_002, value: { camera: "gate", note: "no frame" } }), { status: "ok" });
  t.match(await writer.handle({ ts: 1_000_003, value: frame }), { status: "ok" });
  t.same((await readdir(dir)).sort(), ["motion-1000001.jpg", "motion-1000001.json", "motion-1000002.json", "motion-1000003.jpg", "motion-1000003.json"]);
  t.ok((await readFile(join(dir, "motion-1000001.jpg"))).equals(frame), "the JPEG bytes as given");
  t.same(JSON.parse(await readFile(join(dir, "motion-1000001.json"), "utf8")), {
    ts: 1_000_001,
    time: "1970-01-01T00:00:01.000001Z",
    value: { camera: "gate", score: 0.9, jpeg: { file: "motion-1000001.jpg", bytes: frame.length }, mask: "AQI=" },
  });
  t.same(JSON.parse(await readFile(join(dir, "motion-1000003.json"), "utf8")).value, { file: "motion-1000003.jpg", bytes: frame.length });
  t.equal((await sharp(join(dir, "motion-1000003.jpg")).metadata()).width, 16, "a JPEG that decodes");
});

t.test("file writer - a frame field named explicitly; an unwritable directory is dead-lettered", async (t) => {
  const rt = await runtime(t);
  const root = await tempDir(t);
  const writer = new FileWriterActuator({ dir: root, frameField: "image" });
  const frame = await jpeg();
  await writer.handle({ ts: 5, value: { image: frame, thumb: frame } });
  t.same((await readdir(root)).sort(), ["event-5.jpg", "event-5.json"]);
  t.match(JSON.parse(await readFile(join(root, "event-5.json"), "utf8")).value, { image: { file: "event-5.jpg" }, thumb: frame.toString("base64") });

  const blocker = join(root, "not-a-dir");
  await writeFile(blocker, "");
  const dead = await rt.channel<DeadLetter>("file dead");
  const broken = new FileWriterActuator({ dir: join(blocker, "sub"), attempts: 2, backoff: { initialMs: 1 }, deadLetter: dead });
  const outcome = await broken.handle({ ts: 6, value: { a: 1 } });
  t.match(outcome, { status: "dead_lettered", reason: "write", attempts: 2, error: /cannot write event-6 into .*not-a-dir\/sub: .*ENOTDIR/ });
  t.equal((await dead.get("oldest", "newest")).length, 1);
});
