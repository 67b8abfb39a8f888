import t from "tap";
import { runtime } from "../helpers.ts";

t.test("consumer - handles of one named consumer share its cursor", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  for (let ts = 1; ts <= 6; ts++) await ch.put(ts, ts);
  const a = await rt.lookup<number>("a", { consumer: "detector", from: "oldest" });
  const b = await rt.lookup<number>("a", { consumer: "detector", from: "newest" });
  const taken = [(await a.get()).ts, (await b.get()).ts, (await a.get()).ts];
  t.same(taken, [1, 2, 3], "the consumer's start is fixed by its first handle; turns are shared");
  const other = await rt.lookup<number>("a", { consumer: "archiver", from: "oldest" });
  t.equal((await other.get()).ts, 1, "another consumer has its own cursor");
});

t.test("consumer - concurrent waiters of one consumer never take the same item", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const workers = await Promise.all([1, 2, 3, 4].map(() => rt.lookup<number>("a", { consumer: "pool" })));
  const taken: number[] = [];
  const loops = workers.map(async (w) => {
    for (;;) {
      const item = await w.get().catch(() => undefined);
      if (!item) return;
      taken.push(item.ts);
    }
  });
  for (let ts = 1; ts <= 200; ts++) {
    await ch.put(ts, ts);
    if (ts % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 10));
  await rt.stop();
  await Promise.all(loops);
  t.same([...taken].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 1), "each item taken exactly once");
});

t.test("consumer - a bad consumer name is refused", async (t) => {
  const rt = await runtime(t);
  await rt.channel("a");
  await t.rejects(rt.lookup("a", { consumer: "" }), { code: "PTS_INVALID_OPTION" });
});
