import t from "tap";
import { InvalidOptionError } from "../../../index.ts";
import { SyntheticSource, type SyntheticReading } from "../../../sensors/readings/index.ts";
import { runtime } from "../../helpers.ts";

t.test("synthetic - the same seed gives the same channel content", async (t) => {
  const rt = await runtime(t);
  const runs: unknown[] = [];
  for (const name of ["syn a", "syn b", "syn c"]) {
    const ch = await rt.channel<SyntheticReading>(name);
    const source = new SyntheticSource({ channel: ch, seed: name === "syn c" ? 8 : 7, perSecond: Infinity, count: 50, sensors: 2, startTs: 1_000_000 });
    await source.start();
    await source.done();
    t.equal(source.stats().readings, 50);
    runs.push(await ch.get("oldest", "newest"));
  }
  t.same(runs[0], runs[1]);
  t.notSame(runs[0], runs[2], "another seed, other values");
  const items = runs[0] as { ts: number; value: SyntheticReading }[];
  t.same(items.slice(0, 2).map((i) => [i.ts, i.value.sensor, i.value.seq]), [[1_000_000, "synthetic-0", 0], [1_000_001, "synthetic-1", 1]]);
  t.ok(items.every((i, k) => k < 2 || Math.abs(i.value.value - items[k - 2].value.value) <= 0.5), "each sensor walks in steps of at most 0.5");
});

t.test("synthetic - paced at a rate with arrival timestamps; stop ends it; a custom generator", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("syn paced");
  const source = new SyntheticSource({ channel: ch, perSecond: 200, generate: (random) => Math.floor(random() * 6) + 1 });
  await source.start();
  const first = await ch.get();
  await source.stop();
  await source.done();
  t.ok(first.value >= 1 && first.value <= 6);
  const n = source.stats().readings;
  t.ok(n >= 1);
  t.equal((await ch.get("oldest", "newest")).length, n, "nothing after stop");
  t.throws(() => new SyntheticSource({ channel: ch, perSecond: 0 }), InvalidOptionError);
});

t.test("synthetic - count 0 ends at once", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel("syn none");
  const source = new SyntheticSource({ channel: ch, count: 0 });
  await source.start();
  await source.done();
  t.equal(source.stats().readings, 0);
});
