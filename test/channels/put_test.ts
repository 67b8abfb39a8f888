import t from "tap";
import { ChannelClosedError, CodecError, DuplicateTimestampError, InvalidTimestampError } from "../../index.ts";
import { rejection, runtime } from "../helpers.ts";

t.test("put - out-of-order puts land in time order", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<string>("a");
  for (const ts of [50, 10, 40, 20, 30, 5, 60]) await ch.put(`v${ts}`, ts);
  t.same((await ch.get("oldest", "newest")).map((i) => i.ts), [5, 10, 20, 30, 40, 50, 60]);
  t.same(await ch.get(20), { ts: 20, value: "v20" });
});

t.test("put - without a timestamp uses the clock, strictly increasing", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const before = Date.now() * 1000;
  for (let i = 0; i < 100; i++) await ch.put(i);
  const all = await ch.get("oldest", "newest");
  t.equal(all.length, 100, "no default timestamp collided");
  t.ok(all[0].ts >= before - 1000);
  t.same(all.map((i) => i.value), [...Array(100).keys()]);
});

t.test("put - duplicate policy reject refuses and keeps the first value", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<string>("a");
  await ch.put("first", 7);
  const err = await rejection(t, ch.put("second", 7));
  t.type(err, DuplicateTimestampError);
  t.match(err.message, /onDuplicate/);
  t.same(await ch.get(7), { ts: 7, value: "first" });
  t.equal(ch.stats().items, 1);
});

t.test("put - duplicate policy replace and keep-first", async (t) => {
  const rt = await runtime(t);
  const replace = await rt.channel<string>("r", { onDuplicate: "replace" });
  await replace.put("first", 7);
  await replace.put("second", 7);
  t.same(await replace.get(7), { ts: 7, value: "second" });
  t.equal(replace.stats().items, 1);
  const keep = await rt.channel<string>("k", { onDuplicate: "keep-first" });
  await keep.put("first", 7);
  await keep.put("second", 7);
  t.same(await keep.get(7), { ts: 7, value: "first" });
  t.equal(keep.stats().puts, 1, "the dropped duplicate is not counted as a put");
});

t.test("put - bad timestamps are refused with a typed error and store nothing", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  await ch.put(1, 100);
  for (const bad of [NaN, -1, 1.25, Number.MAX_SAFE_INTEGER + 2, "10" as unknown as number]) {
    await t.rejects(ch.put(2, bad), InvalidTimestampError, `ts ${String(bad)}`);
  }
  t.equal(ch.stats().items, 1, "the stored item is still there, alone");
});

t.test("put - a binary channel refuses non-binary values", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<Uint8Array>("frames", { codec: "binary" });
  await ch.put(Buffer.from([1, 2]), 1);
  await t.rejects(ch.put("nope" as unknown as Uint8Array, 2), CodecError);
  t.equal(ch.stats().items, 1);
});

t.test("put - after stop is refused with ChannelClosedError", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  await rt.stop();
  await t.rejects(ch.put(1, 1), ChannelClosedError);
  await t.rejects(rt.channel("b"), ChannelClosedError);
});
