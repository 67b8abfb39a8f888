// Overload on virtual time: 4 cameras × 30 fps into a process stage that handles 50 frames/s.
// With prioritize, latency stays bounded by maxAgeMs (plus one processing time), drops are
// counted by reason, and the high-priority camera keeps its frames. Without it (plain rxjs
// mergeMap), the backlog and the latency grow for as long as the overload lasts.
import t from "tap";
import { Subject, mergeMap, type Observable } from "rxjs";
import { type Item, PriorityQueue, processQueued } from "../../index.ts";

type Frame = { cam: number };
const FPS = 30;
const CAMERAS = 4;
const WORK_US = 20_000; // 20 ms of processing per frame: 50 frames/s against 120 arriving
const SECONDS = 10;

/** A discrete-event simulation: arrivals and work completions in virtual µs. */
async function simulate(stage: (source: Observable<Item<Frame>>, work: (item: Item<Frame>) => Promise<void>, now: () => number) => Observable<{ item: Item<Frame>; finished: number }>) {
  let clock = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const schedule = (at: number, fire: () => void) => {
    timers.push({ at, fire });
    timers.sort((a, b) => a.at - b.at);
  };
  const source = new Subject<Item<Frame>>();
  const work = () => new Promise<void>((resolve) => schedule(clock + WORK_US, resolve));
  const done: { item: Item<Frame>; latencyMs: number }[] = [];
  const sub = stage(source, work, () => clock).subscribe((r) => done.push({ item: r.item, latencyMs: (r.finished - r.item.ts) / 1000 }));
  for (let n = 0; n < FPS * SECONDS; n++) {
    for (let cam = 0; cam < CAMERAS; cam++) {
      const ts = Math.round((n * 1e6) / FPS) + cam * 1000;
      schedule(ts, () => source.next({ ts, value: { cam } }));
    }
  }
  while (timers.length > 0) {
    const next = timers.shift()!;
    clock = next.at;
    next.fire();
    for (let i = 0; i < 5; i++) await Promise.resolve(); // let the stage react at this instant
  }
  sub.unsubscribe();
  return done;
}

t.test("overload - prioritize keeps latency bounded, counts drops, and keeps the important camera", async (t) => {
  const maxAgeMs = 200;
  const queue = new PriorityQueue<Frame>({ capacity: 8, maxAgeMs, priority: (i) => (i.value.cam === 0 ? 10 : 1) });
  const done = await simulate((source, work, now) => source.pipe(processQueued(queue, async (i) => work(i), { concurrency: 1, now })));
  const worst = Math.max(...done.map((d) => d.latencyMs));
  t.ok(worst <= maxAgeMs + WORK_US / 1000, `worst latency ${worst} ms is within maxAgeMs + one processing time`);
  t.ok(done.length >= 0.95 * (SECONDS * 1e6) / WORK_US, `the process stage stayed busy (${done.length} frames)`);
  const offered = FPS * SECONDS * CAMERAS;
  t.equal(done.length + queue.drops.stale + queue.drops.shed + queue.size, offered, "every frame is processed or counted as dropped");
  t.ok(queue.drops.shed > 0, `shed when full (${queue.drops.shed})`);
  const cam0 = done.filter((d) => d.item.value.cam === 0).length;
  t.ok(cam0 >= 0.95 * FPS * SECONDS, `the high-priority camera kept its frames (${cam0} of ${FPS * SECONDS})`);
});

t.test("overload - without prioritize (plain mergeMap) latency grows without bound", async (t) => {
  const done = await simulate((source, work, now) => source.pipe(mergeMap(async (item) => (await work(item), { item, finished: now() }), 1)));
  const first = done.slice(0, 50).map((d) => d.latencyMs);
  const last = done.slice(-50).map((d) => d.latencyMs);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  t.ok(avg(last) > 20 * avg(first), `latency grew from ${avg(first).toFixed(0)} ms to ${avg(last).toFixed(0)} ms`);
  t.ok(Math.max(...last) > SECONDS * 1000, "after 10 s of overload, frames wait more than 10 s");
  const byQuarter = [0, 1, 2, 3].map((q) => avg(done.slice((q * done.length) / 4, ((q + 1) * done.length) / 4).map((d) => d.latencyMs)));
  t.ok(byQuarter.every((x, i) => i === 0 || x > byQuarter[i - 1]), `and keeps growing: ${byQuarter.map((x) => x.toFixed(0)).join(" < ")} ms`);
});
