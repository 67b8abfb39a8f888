import t from "tap";
import { InvalidTimestampError } from "../../index.ts";
import { runtime } from "../helpers.ts";

async function filled(t: Parameters<typeof runtime>[0]) {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  for (const ts of [10, 20, 30, 40]) await ch.put(ts * 2, ts);
  return { rt, ch };
}

t.test("get - exactly at ts", async (t) => {
  const { ch } = await filled(t);
  t.same(await ch.get(20), { ts: 20, value: 40 });
  t.equal(await ch.get(21), undefined);
  t.equal(await ch.get(0), undefined);
});

t.test("get - oldest and newest, and on an empty channel", async (t) => {
  const { rt, ch } = await filled(t);
  t.same(await ch.get("oldest"), { ts: 10, value: 20 });
  t.same(await ch.get("newest"), { ts: 40, value: 80 });
  const empty = await rt.channel("empty");
  t.equal(await empty.get("oldest"), undefined);
  t.equal(await empty.get("newest"), undefined);
  t.same(await empty.get("oldest", "newest"), []);
});

t.test("get - ranges are inclusive, bounds may be oldest and newest", async (t) => {
  const { ch } = await filled(t);
  const ts = async (lo: number | "oldest" | "newest", hi: number | "oldest" | "newest") => (await ch.get(lo, hi)).map((i) => i.ts);
  t.same(await ts(20, 30), [20, 30]);
  t.same(await ts(15, 35), [20, 30]);
  t.same(await ts("oldest", 25), [10, 20]);
  t.same(await ts(25, "newest"), [30, 40]);
  t.same(await ts("oldest", "newest"), [10, 20, 30, 40]);
  t.same(await ts("newest", "newest"), [40]);
  t.same(await ts(30, 20), [], "hi below lo is empty");
  t.same(await ts(41, 100), []);
});

t.test("get - a bad timestamp or bound is a typed error", async (t) => {
  const { ch } = await filled(t);
  await t.rejects(ch.get(-5), InvalidTimestampError);
  await t.rejects(ch.get(NaN), InvalidTimestampError);
  await t.rejects(ch.get(1, 2.5), InvalidTimestampError);
  await t.rejects(ch.get("latest" as "newest"), InvalidTimestampError);
});

t.test("get - no argument walks this handle's cursor from its start", async (t) => {
  const { rt } = await filled(t);
  const fromOldest = await rt.lookup<number>("a", { from: "oldest" });
  t.same([(await fromOldest.get()).ts, (await fromOldest.get()).ts], [10, 20]);
  const fromNewest = await rt.lookup<number>("a");
  t.equal((await fromNewest.get()).ts, 40, "default from is the newest item");
  const fromTs = await rt.lookup<number>("a", { from: 25 });
  t.equal((await fromTs.get()).ts, 30, "from a ts starts at the first item at or after it");
  t.equal((await fromOldest.get()).ts, 30, "each handle has its own cursor");
});
