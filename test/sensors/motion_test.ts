import t from "tap";
import sharp from "sharp";
import { MotionDetector, SyntheticCamera, annotateBoxes, cropFrame, decodeFrame, encodeJpeg, type Box } from "../../sensors/index.ts";

const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const contains = (outer: Box, inner: Box) => outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;

t.test("motion - finds a moving synthetic object where it is", async (t) => {
  const cam = new SyntheticCamera({ seed: 21, width: 640, height: 480, objects: 1, speed: 6 });
  const motion = new MotionDetector();
  t.same(await motion.detect(await cam.render(0)), { score: 0, boxes: [] }, "the first frame has nothing to compare with");
  for (let seq = 1; seq <= 5; seq++) {
    const { score, boxes } = await motion.detect(await cam.render(seq));
    const [now] = cam.boxesAt(seq);
    const [before] = cam.boxesAt(seq - 1);
    t.ok(score > 0 && score < 0.1, `frame ${seq}: score ${score.toFixed(4)}`);
    t.equal(boxes.length, 1, `frame ${seq}: one box`);
    t.ok(overlaps(boxes[0], now), `frame ${seq}: the box is on the object`);
    const union = { x: Math.min(now.x, before.x) - 8, y: Math.min(now.y, before.y) - 8, width: 0, height: 0 };
    union.width = Math.max(now.x + now.width, before.x + before.width) + 8 - union.x;
    union.height = Math.max(now.y + now.height, before.y + before.height) + 8 - union.y;
    const grid = 4 * 8; // one grid cell in full-frame pixels (640 / 160 * 8)
    const grown = { x: union.x - grid, y: union.y - grid, width: union.width + 2 * grid, height: union.height + 2 * grid };
    t.ok(contains(grown, boxes[0]), `frame ${seq}: the box stays near where the object was and is`);
  }
});

t.test("motion - a static scene with sensor noise has no motion", async (t) => {
  const cam = new SyntheticCamera({ seed: 4, width: 640, height: 480, speed: 0, noise: 6 });
  const motion = new MotionDetector();
  for (let seq = 0; seq < 6; seq++) {
    const { score, boxes } = await motion.detect(await cam.render(seq));
    t.equal(score, 0, `frame ${seq}: score 0`);
    t.same(boxes, []);
  }
});

t.test("motion - two objects far apart give two boxes; reset forgets the previous frame", async (t) => {
  const motion = new MotionDetector();
  const W = 160, H = 120;
  const frame = (boxes: Box[]) => {
    const data = Buffer.alloc(W * H, 30);
    for (const b of boxes) for (let y = b.y; y < b.y + b.height; y++) data.fill(220, y * W + b.x, y * W + b.x + b.width);
    return { data, width: W, height: H, channels: 1 as const };
  };
  motion.compare(frame([]));
  const r = motion.compare(frame([{ x: 8, y: 8, width: 16, height: 16 }, { x: 120, y: 90, width: 16, height: 16 }]));
  t.same(r.boxes, [{ x: 8, y: 8, width: 16, height: 16 }, { x: 120, y: 88, width: 16, height: 24 }]);
  t.equal(r.score, (2 * 16 * 16) / (W * H));
  motion.reset();
  t.same(motion.compare(frame([])), { score: 0, boxes: [] });
  t.throws(() => motion.compare({ data: Buffer.alloc(W * H * 3), width: W, height: H, channels: 3 }), RangeError);
});

t.test("frames - decode at a smaller size, grey or RGB; encode back", async (t) => {
  const cam = new SyntheticCamera({ seed: 2, width: 640, height: 480 });
  const jpeg = await cam.render(0);
  const grey = await decodeFrame(jpeg, { width: 160, grey: true });
  t.same([grey.width, grey.height, grey.channels, grey.data.length], [160, 120, 1, 160 * 120]);
  const rgb = await decodeFrame(jpeg, { width: 320, height: 200 });
  t.same([rgb.width, rgb.height, rgb.channels, rgb.data.length], [320, 200, 3, 320 * 200 * 3]);
  const full = await decodeFrame(jpeg);
  t.same([full.width, full.height], [640, 480]);
  const back = await encodeJpeg(rgb, { quality: 70 });
  const meta = await sharp(back).metadata();
  t.same([meta.format, meta.width, meta.height], ["jpeg", 320, 200]);
  await t.rejects(decodeFrame(Buffer.from("not a jpeg")));
});

t.test("frames - crop clips to the image; annotate draws the box", async (t) => {
  const cam = new SyntheticCamera({ seed: 2, width: 320, height: 240 });
  const jpeg = await cam.render(0);
  const frame = { camera: "c", seq: 0, width: 320, height: 240, ts: 1, jpeg };
  const crop = await cropFrame(frame, { x: 300, y: 200, width: 50, height: 50 }, { pad: 5 });
  t.same(await sharp(crop).metadata().then((m) => [m.width, m.height]), [25, 45], "clipped at the right and bottom edges");
  await t.rejects(cropFrame(jpeg, { x: 400, y: 0, width: 10, height: 10 }), RangeError);
  const box = { x: 40, y: 30, width: 100, height: 80 };
  const marked = await annotateBoxes(frame, [box], { color: "#ff0000", lineWidth: 4, labels: ["a <b> & c"] });
  const { data, info } = await sharp(marked).raw().toBuffer({ resolveWithObject: true });
  t.same([info.width, info.height], [320, 240]);
  const px = (x: number, y: number) => [...data.subarray((y * 320 + x) * 3, (y * 320 + x) * 3 + 3)];
  const [r, g, b] = px(box.x + 1, box.y + 40);
  t.ok(r > 200 && g < 80 && b < 80, `the left edge is red: ${[r, g, b]}`);
  const inside = px(box.x + 50, box.y + 40);
  t.notOk(inside[0] > 200 && inside[1] < 80, "the inside is not painted");
});
