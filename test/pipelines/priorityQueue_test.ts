import t from "tap";
import { type DropReason, type Item, PriorityQueue } from "../../index.ts";

const MS = 1000;
const item = (ts: number, cam = "a", p = 0): Item<{ cam: string; p: number }> => ({ ts, value: { cam, p } });

t.test("priority queue - higher priority first, then oldest first", async (t) => {
  const q = new PriorityQueue<{ cam: string; p: number }>({ capacity: 10, priority: (i) => i.value.p });
  for (const [ts, p] of [[1, 0], [2, 5], [3, 5], [4, 1]]) q.offer(item(ts, "a", p), 10);
  t.same([q.poll(10)?.ts, q.poll(10)?.ts, q.poll(10)?.ts, q.poll(10)?.ts, q.poll(10)], [2, 3, 4, 1, undefined]);
});

t.test("priority queue - stale items are dropped on arrival and at their turn, never handed out", async (t) => {
  const drops: [number, DropReason][] = [];
  const q = new PriorityQueue<{ cam: string; p: number }>({ capacity: 10, maxAgeMs: 100, onDrop: (i, r) => drops.push([i.ts, r]) });
  q.offer(item(0), 150 * MS);
  q.offer(item(100 * MS), 150 * MS);
  q.offer(item(120 * MS), 150 * MS);
  t.same(drops, [[0, "stale"]], "too old on arrival");
  t.equal(q.poll(210 * MS)?.ts, 120 * MS, "the one still within 100 ms is handed out");
  t.same(drops, [[0, "stale"], [100 * MS, "stale"]], "the other went stale waiting");
  t.same(q.drops, { stale: 2, shed: 0 });
  q.offer(item(300 * MS), 300 * MS);
  q.expire(500 * MS);
  t.equal(q.size, 0);
  t.equal(q.drops.stale, 3, "expire() drops stale items without polling");
});

t.test("priority queue - when full, the lowest priority is shed (the oldest among equals)", async (t) => {
  const drops: [number, DropReason][] = [];
  const q = new PriorityQueue<{ cam: string; p: number }>({ capacity: 3, priority: (i) => i.value.p, onDrop: (i, r) => drops.push([i.ts, r]) });
  q.offer(item(1, "a", 1), 0);
  q.offer(item(2, "a", 1), 0);
  q.offer(item(3, "a", 5), 0);
  q.offer(item(4, "a", 3), 0);
  t.same(drops, [[1, "shed"]], "the oldest of the lowest priority made room");
  q.offer(item(5, "a", 0), 0);
  t.same(drops, [[1, "shed"], [5, "shed"]], "a newcomer lower than everything is shed itself");
  t.same([q.poll(0)?.ts, q.poll(0)?.ts, q.poll(0)?.ts], [3, 4, 2]);
});

t.test("priority queue - weighted fairness across sources", async (t) => {
  const q = new PriorityQueue<{ cam: string; p: number }>({ capacity: 1000, key: (i) => i.value.cam, weights: { busy: 3 } });
  for (let ts = 1; ts <= 300; ts++) {
    q.offer(item(ts, "busy"), 0);
    q.offer(item(1000 + ts, "idle"), 0);
  }
  const served: string[] = [];
  for (let i = 0; i < 200; i++) served.push(q.poll(0)!.value.cam);
  const busy = served.filter((c) => c === "busy").length;
  t.equal(busy, 150, "weight 3 against weight 1: three of every four turns");
  const fresh = new PriorityQueue<{ cam: string; p: number }>({ capacity: 100, key: (i) => i.value.cam });
  for (let ts = 1; ts <= 50; ts++) fresh.offer(item(ts, "a"), 0);
  for (let i = 0; i < 40; i++) fresh.poll(0);
  fresh.offer(item(100, "late"), 0);
  t.equal(fresh.poll(0)?.value.cam, "late", "a source that was idle is served at once, not after the backlog");
  t.equal(fresh.poll(0)?.value.cam, "a", "…and cannot hoard credit from its idle time");
});

t.test("priority queue - bad options are refused", async (t) => {
  t.throws(() => new PriorityQueue({ capacity: 0 }), RangeError);
  const q = new PriorityQueue<{ cam: string; p: number }>({ capacity: 2, key: (i) => i.value.cam, weights: { x: 0 } });
  t.throws(() => q.offer(item(1, "x"), 0), RangeError);
});
