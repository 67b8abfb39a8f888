import t from "tap";
import { ChannelNotFoundError, ChannelOptionsMismatchError, InvalidChannelNameError, InvalidOptionError, Runtime } from "../../index.ts";
import { runtime } from "../helpers.ts";

t.test("runtime - options of later parts are refused, never ignored", async (t) => {
  await t.rejects(Runtime.start({ dataDir: "" }), InvalidOptionError);
  await t.rejects(Runtime.start({ nats: { servers: "nats://127.0.0.1:1", connectTimeoutMs: 2000 } }), { code: "PTS_NATS_CONNECT" }, "an unreachable server is a clear error");
  await t.rejects(Runtime.start({ metrics: "on" as unknown as false }), InvalidOptionError, "metrics is { port, host } or false");
  const rt = await Runtime.start({ metrics: false, namespace: "lab-1" });
  t.equal(rt.namespace, "lab-1");
  await rt.stop();
  await t.rejects(Runtime.start({ namespace: "a.b" }), InvalidOptionError);
  await t.rejects(Runtime.start({ natsUrl: "x" } as object), InvalidOptionError, "typos are caught");
  const r2 = await runtime(t);
  await t.rejects(r2.channel("p", { persist: { mode: "sync" } }), InvalidOptionError, "persist needs a dataDir");
  await t.rejects(r2.channel("p", { retian: { count: 1 } } as object), InvalidOptionError);
  await t.rejects(r2.channel("p", { onDuplicate: "overwrite" as "replace" }), InvalidOptionError);
});

t.test("runtime - lookup of an unknown name is ChannelNotFoundError", async (t) => {
  const rt = await runtime(t);
  const err = await t.rejects(rt.lookup("nobody"), ChannelNotFoundError);
  t.ok(err);
  t.same(rt.channels(), []);
});

t.test("runtime - names: any printable text, never empty, long or with control characters", async (t) => {
  const rt = await runtime(t);
  for (const name of ["video channel", "cam.1/left", "*", ">", "../../etc/passwd", "カメラ 🎥", "x".repeat(255)]) {
    const ch = await rt.channel<number>(name);
    await ch.put(1, 1);
    t.equal((await rt.lookup<number>(name)).name, name);
  }
  for (const bad of ["", "a\nb", "nul\u0000", "x".repeat(256), "é".repeat(128), 42]) {
    await t.rejects(rt.channel(bad as string), InvalidChannelNameError, JSON.stringify(bad));
  }
});

t.test("runtime - channel() opens an existing channel; conflicting options are an error", async (t) => {
  const rt = await runtime(t);
  const a = await rt.channel<number>("a", { retain: { count: 5 }, codec: "json" });
  await a.put(1, 1);
  const again = await rt.channel<number>("a");
  t.same(await again.get(1), { ts: 1, value: 1 });
  await rt.channel<number>("a", { retain: { count: 5 } });
  await t.rejects(rt.channel("a", { retain: { count: 6 } }), ChannelOptionsMismatchError);
  await t.rejects(rt.channel("a", { codec: "binary" }), ChannelOptionsMismatchError);
  await t.rejects(rt.channel("a", { onDuplicate: "replace" }), ChannelOptionsMismatchError);
  t.same(rt.channels().map((c) => [c.name, c.items]), [["a", 1]]);
});

t.test("runtime - stop is idempotent and refuses new work", async (t) => {
  const rt = await Runtime.start();
  await rt.channel("a");
  await rt.stop();
  await rt.stop();
  t.ok(rt.isStopped);
  await t.rejects(rt.lookup("a"), { code: "PTS_CHANNEL_CLOSED" });
});
