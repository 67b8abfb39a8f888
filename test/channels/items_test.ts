import t from "tap";
import { take, toArray } from "rxjs";
import { firstValueFrom } from "rxjs";
import type { Item } from "../../index.ts";
import { runtime, tick } from "../helpers.ts";

t.test("items - history only, with from and to", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  for (const ts of [3, 1, 2, 5, 4]) await ch.put(ts, ts);
  const collect = async (it: AsyncIterable<Item<number>>) => {
    const out: number[] = [];
    for await (const i of it) out.push(i.ts);
    return out;
  };
  t.same(await collect(ch.items()), [1, 2, 3, 4, 5]);
  t.same(await collect(ch.items({ from: 2, to: 4 })), [2, 3, 4]);
  t.same(await collect(ch.items({ from: "newest" })), [5]);
  t.same(await collect(ch.items({ to: "oldest" })), [1]);
  t.same(await collect((await rt.channel<number>("empty")).items()), []);
});

t.test("items - crosses from history to live while puts continue: no gap, no duplicate", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a", { retain: { count: 100_000 } });
  for (let i = 1; i <= 1000; i++) await ch.put(i, i);
  const got: number[] = [];
  const reader = (async () => {
    for await (const item of ch.items({ follow: true, to: 5000 })) got.push(item.ts);
  })();
  // The producer runs concurrently with the reader, in small bursts.
  for (let i = 1001; i <= 5000; i++) {
    await ch.put(i, i);
    if (i % 97 === 0) await tick();
  }
  await reader;
  t.equal(got.length, 5000);
  t.ok(got.every((ts, i) => ts === i + 1), "every item once, in order");
});

t.test("items - follow waits for live items and break cancels the wait", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const it = ch.items({ from: "newest", follow: true })[Symbol.asyncIterator]();
  const first = it.next();
  setTimeout(() => void ch.put(1, 10), 5);
  t.same((await first).value, { ts: 10, value: 1 });
  const second = it.next();
  await it.return?.();
  t.same(await second, { done: true, value: undefined }, "the pending next ends when the iterator is returned");
});

t.test("items - a signal or a stop ends a following iterator without error", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  await ch.put(1, 1);
  const ac = new AbortController();
  const seen: number[] = [];
  const loop = (async () => {
    for await (const i of ch.items({ follow: true, signal: ac.signal })) seen.push(i.ts);
  })();
  await tick();
  ac.abort();
  await loop;
  t.same(seen, [1]);
  const loop2 = (async () => {
    for await (const i of ch.items({ follow: true })) seen.push(i.ts);
  })();
  await tick();
  await rt.stop();
  await loop2;
  t.same(seen, [1, 1]);
});

t.test("observe - an rxjs Observable of the newest item and live ones", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<string>("a");
  await ch.put("old", 1);
  await ch.put("newest", 2);
  const three = firstValueFrom(ch.observe().pipe(take(3), toArray()));
  await tick();
  await ch.put("live1", 3);
  await ch.put("live2", 4);
  t.same((await three).map((i) => i.value), ["newest", "live1", "live2"]);
  const all = firstValueFrom(ch.observe({ from: "oldest", to: 3 }).pipe(toArray()));
  t.same((await all).map((i) => i.ts), [1, 2, 3], "completes at `to`");
});

t.test("observe - unsubscribe releases the wait; stop completes", async (t) => {
  const rt = await runtime(t);
  const ch = await rt.channel<number>("a");
  const seen: number[] = [];
  let completed = false;
  const sub = ch.observe().subscribe({ next: (i) => seen.push(i.ts) });
  await ch.put(1, 1);
  await tick();
  sub.unsubscribe();
  await ch.put(2, 2);
  await tick();
  t.same(seen, [1], "nothing after unsubscribe");
  ch.observe().subscribe({ complete: () => (completed = true) });
  await tick();
  await rt.stop();
  await tick();
  t.ok(completed);
});
