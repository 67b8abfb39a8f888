import t from "tap";
import { ChannelClosedError, InvalidTimestampError, WaitAbortedError, WaitTimeoutError } from "../../index.ts";
import { isPending, rejection, runtime, tick } from "../helpers.ts";

t.test("wait - get() waits for a later put, then returns it", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<string>("a");
  const reader = await rt.lookup<string>("a");
  const pending = reader.get();
  t.ok(await isPending(pending), "nothing to get yet");
  await ch.put("x", 5);
  t.same(await pending, { ts: 5, value: "x" });
});

t.test("wait - next returns at once when the item exists, else waits", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  await ch.put(1, 10);
  await ch.put(2, 20);
  t.same(await ch.next(10), { ts: 20, value: 2 });
  t.same(await ch.next(0), { ts: 10, value: 1 });
  const waiting = ch.next(20, { timeoutMs: 10_000 });
  t.ok(await isPending(waiting));
  await ch.put(3, 15);
  t.ok(await isPending(waiting), "an item before afterTs does not satisfy it");
  await ch.put(4, 30);
  t.same(await waiting, { ts: 30, value: 4 });
});

t.test("wait - next times out with WaitTimeoutError", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const err = await rejection(t, ch.next(0, { timeoutMs: 20 }));
  t.type(err, WaitTimeoutError);
  t.match(err.message, /within 20 ms/);
  await t.rejects(ch.next(-1), InvalidTimestampError);
});

t.test("wait - next is cancelled by its AbortSignal", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const ac = new AbortController();
  const waiting = ch.next(0, { signal: ac.signal });
  ac.abort();
  await t.rejects(waiting, WaitAbortedError);
  await t.rejects(ch.next(0, { signal: ac.signal }), WaitAbortedError, "an aborted signal fails at once");
});

t.test("wait - many concurrent waiters are all served by one put", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const handles = await Promise.all(Array.from({ length: 500 }, () => rt.lookup<number>("a")));
  const gets = handles.map((h) => h.get());
  const nexts = Array.from({ length: 500 }, (_, i) => ch.next(i % 2 === 0 ? 0 : 99));
  await tick();
  await ch.put(7, 50);
  const got = await Promise.all(gets);
  t.ok(got.every((i) => i.ts === 50), "every get() waiter got the item");
  t.ok(await isPending(nexts[1]), "waiters after ts 99 still wait");
  await ch.put(8, 100);
  const all = await Promise.all(nexts);
  t.ok(all.every((item, i) => item.ts === (i % 2 === 0 ? 50 : 100)));
});

t.test("wait - waiters with different afterTs wake in order, each exactly once", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const woken: number[] = [];
  const waits = [30, 10, 20, 40].map((after) => ch.next(after).then((i) => woken.push(after * 1000 + i.ts)));
  await ch.put(0, 25);
  await tick();
  t.same(woken.sort(), [10025, 20025]);
  await ch.put(0, 45);
  await Promise.all(waits);
  t.same(woken.sort(), [10025, 20025, 30045, 40045]);
});

t.test("wait - stop ends pending waits with ChannelClosedError", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const g = ch.get();
  const n = ch.next(0);
  await rt.stop();
  await t.rejects(g, ChannelClosedError);
  await t.rejects(n, ChannelClosedError);
});
