import t from "tap";
import { Runtime } from "../../index.ts";

// The seed program of DESIGN.md, as written there, with a producer beside it.
t.test("seed - the PTS seed loop runs as written and carries timestamps through", async (t) => {
  const rt = await Runtime.start();
  await rt.channel("video channel");
  const detect = (frame: unknown) => ({ blobs: String(frame).length });
  const producer = await rt.channel<string>("video channel");

  const seed = (async () => {
    const ch1 = await rt.lookup("video channel");
    const ch2 = await rt.channel("blobs");
    while (true) {
      const r = await ch1.get();
      await ch2.put(detect(r.value), r.ts);
    }
  })();

  for (let i = 1; i <= 100; i++) await producer.put("frame-" + i, i * 1000);
  const blobs = await rt.lookup<{ blobs: number }>("blobs", { from: "oldest" });
  const last = await blobs.next(99_000, { timeoutMs: 10_000 });
  t.same(last, { ts: 100_000, value: { blobs: 9 } });
  const all = await blobs.get("oldest", "newest");
  t.equal(all.length, 100, "one output per input");
  t.same(all.map((i) => i.ts), Array.from({ length: 100 }, (_, i) => (i + 1) * 1000), "timestamps flow through");
  await rt.stop();
  await t.rejects(seed, { code: "PTS_CHANNEL_CLOSED" }, "the loop ends when the runtime stops");
});
