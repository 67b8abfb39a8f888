import t from "tap";
import { CodecError } from "../../index.ts";
import { frameCodec, type Frame } from "../../sensors/index.ts";
import { FRAME_HEADER } from "../../sensors/frameCodec.ts";
import { frameChannel, jpegs } from "./cameraHelpers.ts";

t.test("frameCodec - round trip: header, camera id, JPEG bytes", async (t) => {
  const [jpeg] = await jpegs(1);
  const f: Frame = { camera: "porte d'entrée", seq: 2 ** 40 + 3, width: 160, height: 120, ts: 1_764_000_000_123_456, jpeg };
  const bytes = frameCodec.encode(f);
  t.equal(bytes.length, FRAME_HEADER + Buffer.byteLength(f.camera) + jpeg.length, "header + id + JPEG, nothing more");
  t.equal(frameCodec.sizeOf!(f), bytes.length);
  t.equal(Buffer.from(bytes.subarray(0, 4)).toString("latin1"), "PTSF");
  t.same(frameCodec.decode(bytes), f);
});

t.test("frameCodec - refuses what is not a frame, on encode and decode", async (t) => {
  const [jpeg] = await jpegs(1);
  const good: Frame = { camera: "c", seq: 0, width: 1, height: 1, ts: 0, jpeg };
  const bad: unknown[] = [
    null,
    { ...good, jpeg: Buffer.from("nope") },
    { ...good, camera: "x".repeat(256) },
    { ...good, width: 70_000 },
    { ...good, seq: -1 },
    { ...good, ts: 1.5 },
  ];
  for (const v of bad) t.throws(() => frameCodec.encode(v as Frame), CodecError);
  const bytes = Buffer.from(frameCodec.encode(good));
  t.throws(() => frameCodec.decode(bytes.subarray(0, 10)), CodecError, "too short");
  t.throws(() => frameCodec.decode(Buffer.concat([Buffer.from("XXXX"), bytes.subarray(4)])), CodecError, "bad magic");
  const v2 = Buffer.from(bytes);
  v2[4] = 2;
  t.throws(() => frameCodec.decode(v2), /version 2/);
});

t.test("frameCodec - a frame channel stores frames through the codec", async (t) => {
  const ch = await frameChannel(t);
  const [jpeg] = await jpegs(1);
  const f: Frame = { camera: "c", seq: 7, width: 160, height: 120, ts: 42, jpeg };
  await ch.put(f, f.ts);
  t.same((await ch.get(42))?.value, f);
  t.equal(ch.codec.name, "frame");
});
