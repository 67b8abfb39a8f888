import t from "tap";
import { DEFAULT_RETAIN, InvalidOptionError, ItemTooLargeError, type Item } from "../../index.ts";
import { runtime } from "../helpers.ts";

t.test("retention - by count keeps the newest items and reports the evicted ones", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a", { retain: { count: 3 } });
  const gone: number[] = [];
  ch.on("gc", (items) => gone.push(...items.map((i) => i.ts)));
  for (let ts = 1; ts <= 6; ts++) await ch.put(ts, ts);
  t.same((await ch.get("oldest", "newest")).map((i) => i.ts), [4, 5, 6]);
  t.same(gone, [1, 2, 3]);
  t.equal(ch.stats().evicted, 3);
  await ch.put(0, 2);
  t.same((await ch.get("oldest", "newest")).map((i) => i.ts), [4, 5, 6], "a late item older than the window leaves at once");
  t.same(gone, [1, 2, 3, 2]);
});

t.test("retention - by age is measured from the newest item's timestamp", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a", { retain: { ms: 10 } });
  const s = 1_000_000_000;
  await ch.put(1, s);
  await ch.put(2, s + 5_000);
  await ch.put(3, s + 10_000);
  t.equal(ch.stats().items, 3, "exactly 10 ms apart is still inside");
  await ch.put(4, s + 12_000);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value), [2, 3, 4]);
  await ch.put(5, s + 100_000);
  t.same((await ch.get("oldest", "newest")).map((i) => i.value), [5]);
});

t.test("retention - by bytes counts encoded sizes; an item larger than the window is refused", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<Uint8Array>("frames", { codec: "binary", retain: { bytes: 100 } });
  for (let ts = 1; ts <= 5; ts++) await ch.put(Buffer.alloc(30), ts);
  t.equal(ch.stats().items, 3);
  t.equal(ch.stats().bytes, 90);
  await ch.put(Buffer.alloc(80), 6);
  t.equal(ch.stats().items, 1);
  t.equal(ch.stats().bytes, 80);
  await t.rejects(ch.put(Buffer.alloc(101), 7), ItemTooLargeError);
  t.equal(ch.stats().items, 1, "the refused item changed nothing");
  const json = await rt.channel<{ s: string }>("json", { retain: { bytes: 50 } });
  await json.put({ s: "x".repeat(20) }, 1);
  await json.put({ s: "y".repeat(20) }, 2);
  t.equal(json.stats().items, 1, "json sizes are the encoded JSON");
});

t.test("retention - limits combine and the default is bounded", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a", { retain: { count: 5, ms: 1 } });
  for (let ts = 1; ts <= 10; ts++) await ch.put(ts, ts * 100);
  t.equal(ch.stats().items, 5, "ms allows 11 items here; count allows 5");
  const dflt = await rt.channel<number>("d");
  for (let ts = 1; ts <= DEFAULT_RETAIN.count! + 10; ts++) await dflt.put(ts, ts);
  t.equal(dflt.stats().items, DEFAULT_RETAIN.count);
  t.equal(dflt.stats().bytes, null, "bytes are not tracked without a bytes limit");
});

t.test("retention - bad limits are refused", async (t) => {
  const rt = await runtime(t);
  for (const retain of [{ count: 0 }, { count: 1.5 }, { ms: -1 }, { bytes: "lots" }]) {
    await t.rejects(rt.channel("x", { retain: retain as { count: number } }), InvalidOptionError, JSON.stringify(retain));
  }
});

t.test("triggers - put runs for each stored item; a throwing trigger does not fail the put", async (t) => {
  const errors: string[] = [];
  const rt = await runtime(t, { onError: (err, context) => errors.push(`${context}: ${(err as Error).message}`) });
  const ch = await rt.channel<number>("a");
  const seen: Item<number>[] = [];
  const off = ch.on("put", (i) => void seen.push(i));
  ch.on("put", () => {
    throw new Error("boom");
  });
  ch.on("put", async () => {
    throw new Error("async boom");
  });
  await ch.put(1, 1);
  await ch.put(2, 2).catch(() => t.fail("put failed"));
  off();
  await ch.put(3, 3);
  await new Promise((r) => setTimeout(r, 0));
  t.same(seen.map((i) => i.ts), [1, 2], "nothing after the trigger was removed");
  t.equal(errors.filter((e) => /put trigger of channel "a": boom/.test(e)).length, 3);
  t.equal(errors.filter((e) => /async boom/.test(e)).length, 3);
  t.equal(ch.stats().items, 3);
  t.throws(() => ch.on("persist", () => undefined), { code: "PTS_INVALID_OPTION" }, "the persist trigger needs a persistent channel");
  t.throws(() => ch.on("poke" as "put", () => {}), InvalidOptionError);
});
