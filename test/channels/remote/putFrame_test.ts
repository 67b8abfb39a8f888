// PutFrame (channels/remote/putFrame.ts) and unframePut (protocol.ts): the put messages a
// handle builds are read back by the generic unframe and by the host's fast reader alike,
// items in order, within the size limit, a refused put leaving nothing behind.
import t from "tap";
import { CodecError, FrameError, ItemTooLargeError, binaryCodec, encodeMessage, jsonCodec } from "../../../index.ts";
import { PutFrame } from "../../../channels/remote/putFrame.ts";
import { type Encoded, type PutHeader, unframe, unframePut } from "../../../channels/remote/protocol.ts";

const view = (items: Encoded[]) => items.map((i) => [i.ts, Buffer.from(i.payload).toString("utf8")]);

t.test("putFrame - the puts of one turn are one frame, read back alike by unframe and unframePut", async (t) => {
  const frames: Uint8Array[] = [];
  const frame = new PutFrame<unknown>("readings", jsonCodec, (f) => frames.push(f), () => 1 << 20);
  const values: [number, unknown][] = [[0, { a: 1 }], [99_999_999, "é 🚀"], [100_000_000, [1, 2]], [1_700_000_000_000_001, null], [Number.MAX_SAFE_INTEGER, 1.5]];
  for (const [ts, v] of values) frame.add(v, ts);
  t.equal(frames.length, 0, "nothing leaves before the turn ends");
  await new Promise((resolve) => process.nextTick(resolve));
  t.equal(frames.length, 1, "one frame for the turn");
  const expected = values.map(([ts, v]) => [ts, JSON.stringify(v)]);
  t.same(view(unframe<PutHeader>(frames[0]).items), expected, "unframe");
  t.same(view(unframePut(frames[0])), expected, "unframePut");
  t.ok(Buffer.isBuffer(unframePut(frames[0])[0].payload), "payloads are Buffer views, as unframe gives");
});

t.test("putFrame - frames stay within the limit; a large value travels alone, a too large one is refused", async (t) => {
  const frames: Uint8Array[] = [];
  const frame = new PutFrame<Uint8Array>("blobs", binaryCodec, (f) => frames.push(f), () => 50_000);
  for (let ts = 1; ts <= 5; ts++) frame.add(Buffer.alloc(20_000, ts), ts);
  frame.add(Buffer.alloc(49_000, 6), 6); // larger than what is left of a frame, within the limit: alone
  frame.flush();
  t.throws(() => frame.add(Buffer.alloc(60_000), 7), ItemTooLargeError);
  frame.flush();
  t.same(frames.map((f) => unframePut(f).map((i) => [i.ts, i.payload.byteLength, i.payload[0]])), [
    [[1, 20_000, 1], [2, 20_000, 2]],
    [[3, 20_000, 3], [4, 20_000, 4]],
    [[5, 20_000, 5]],
    [[6, 49_000, 6]],
  ]);
  for (const f of frames) t.ok(f.byteLength <= 50_000 + 256, "each frame within max_payload");
});

t.test("putFrame - a value the codec refuses leaves nothing behind", async (t) => {
  const frames: Uint8Array[] = [];
  const frame = new PutFrame<unknown>("readings", jsonCodec, (f) => frames.push(f), () => 1 << 20);
  frame.add(1, 1);
  t.throws(() => frame.add(undefined, 2), CodecError);
  t.throws(() => frame.add(10n, 3), CodecError);
  frame.add(4, 4);
  frame.flush();
  t.same(view(unframePut(frames[0])), [[1, "1"], [4, "4"]]);
  frame.flush();
  t.equal(frames.length, 1, "an empty frame is not sent");
});

t.test("putFrame - unframePut reads any other header as unframe does, and refuses what it refuses", async (t) => {
  const payloads = [Buffer.from('"a"'), Buffer.from("[1]")];
  const odd: object[] = [{ items: [[1, 3], [2, 3]], note: "x" }, { items: [[-5, 3], [2.5, 3]] }, { items: [[1e21, 3], [2, 3]] }, { items: [] }, { other: true, items: [[1, 3], [2, 3]] }];
  for (const header of odd) {
    const bytes = encodeMessage(header, payloads);
    t.same(view(unframePut(bytes)), view(unframe<PutHeader>(bytes).items), JSON.stringify(header));
  }
  const spaced = Buffer.concat([Buffer.from([22, 0, 0, 0]), Buffer.from('{"items": [[1,3],[2,3]]}').subarray(0, 22), Buffer.from('"a"[1]')]);
  t.throws(() => unframePut(spaced), FrameError, "a header cut short is a FrameError");
  t.throws(() => unframePut(encodeMessage({ items: [[1, 3], [2, 9]] }, payloads)), FrameError, "a length beyond the body");
  t.throws(() => unframePut(new Uint8Array([1, 0])), FrameError, "shorter than the length field");
  t.same(unframePut(encodeMessage({ items: [] })), [], "no items");
});
