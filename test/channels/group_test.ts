import t from "tap";
import { InvalidOptionError, type Item } from "../../index.ts";
import { runtime, tick } from "../helpers.ts";

t.test("group - get(ts) takes the nearest dependent item within the tolerance", async (t) => {
  const rt = await runtime(t);
  const video = await rt.channel<string>("video");
  const gps = await rt.channel<number>("gps");
  const imu = await rt.channel<number>("imu");
  await video.put("f1", 1_000_000);
  await gps.put(1, 1_000_000 - 4_000);
  await gps.put(2, 1_000_000 + 3_000);
  await imu.put(9, 1_000_000 + 50_000);
  const missed: string[] = [];
  const g = await rt.group<string, { gps: number; imu: number }>({
    anchor: "video",
    dependents: { gps, imu: "imu" },
    toleranceMs: 5,
    onMissing: (dep, anchor) => missed.push(`${dep}@${anchor.ts}`),
  });
  const tuple = await g.get(1_000_000);
  t.same(tuple?.anchor, { ts: 1_000_000, value: "f1" });
  t.same(tuple?.dependents.gps, { ts: 1_003_000, value: 2 }, "3 ms beats 4 ms");
  t.equal(tuple?.dependents.imu, "missing", "50 ms is outside 5 ms");
  t.same(missed, ["imu@1000000"]);
  t.same(g.missing, { gps: 0, imu: 1 });
  t.equal(await g.get(5), undefined, "no anchor item there");
});

t.test("group - exact tie prefers the earlier item; zero tolerance needs an exact match", async (t) => {
  const rt = await runtime(t);
  const a = await rt.channel<number>("a");
  const d = await rt.channel<number>("d");
  await a.put(0, 100_000);
  await d.put(1, 98_000);
  await d.put(2, 102_000);
  const g = await rt.group<number, { d: number }>({ anchor: a, dependents: { d }, toleranceMs: 2 });
  t.same((await g.get(100_000))?.dependents.d, { ts: 98_000, value: 1 });
  const exact = await rt.group<number, { d: number }>({ anchor: a, dependents: { d }, toleranceMs: 0 });
  t.equal((await exact.get(100_000))?.dependents.d, "missing");
  await t.rejects(rt.group({ anchor: a, dependents: { d }, toleranceMs: -1 }), InvalidOptionError);
  await t.rejects(rt.group({ anchor: a, dependents: { d: "nope" }, toleranceMs: 1 }), { code: "PTS_CHANNEL_NOT_FOUND" });
});

t.test("group - the live iterator waits for a dependent that arrives after the anchor", async (t) => {
  const rt = await runtime(t);
  const video = await rt.channel<string>("video");
  const gps = await rt.channel<number>("gps");
  const g = await rt.group<string, { gps: number }>({ anchor: video, dependents: { gps }, toleranceMs: 10, maxWaitMs: 5_000 });
  const tuples: { ts: number; gps: Item<number> | "missing" }[] = [];
  const loop = (async () => {
    for await (const tuple of g.items({ follow: true, to: 3_000_000 })) tuples.push({ ts: tuple.ts, gps: tuple.dependents.gps });
  })();
  await video.put("f1", 1_000_000);
  await tick(5);
  t.equal(tuples.length, 0, "the tuple waits for gps to pass the window");
  await gps.put(1, 1_004_000);
  await gps.put(2, 1_020_000);
  await video.put("f2", 2_000_000);
  await gps.put(3, 2_500_000);
  await video.put("f3", 3_000_000);
  await gps.put(4, 3_000_000);
  await gps.put(5, 3_100_000);
  await loop;
  t.same(tuples, [
    { ts: 1_000_000, gps: { ts: 1_004_000, value: 1 } },
    { ts: 2_000_000, gps: "missing" },
    { ts: 3_000_000, gps: { ts: 3_000_000, value: 4 } },
  ]);
  t.same(g.missing, { gps: 1 });
});

t.test("group - the live iterator gives up waiting after maxWaitMs and reports the miss", async (t) => {
  const rt = await runtime(t);
  const video = await rt.channel<string>("video");
  const gps = await rt.channel<number>("gps");
  const missed: number[] = [];
  const g = await rt.group<string, { gps: number }>({ anchor: video, dependents: { gps }, toleranceMs: 1, maxWaitMs: 20, onMissing: (_d, a) => missed.push(a.ts) });
  await video.put("f1", 10);
  const it = g.items({ follow: true })[Symbol.asyncIterator]();
  const first = await it.next();
  t.equal(first.done, false);
  t.equal(!first.done && first.value.dependents.gps, "missing");
  t.same(missed, [10]);
  await it.return(undefined);
});
