/**
 * Property tests: a channel agrees with a plain sorted-array model (sortedModel.ts) for any
 * sequence of puts — out of order, duplicated, under each duplicate policy, with and without
 * retention by count, ms and bytes — on every get variant, next, items, stats and triggers;
 * and a following iterator interleaved with puts yields exactly the model's next items.
 *
 * The runs are seeded, so that CI sees the same cases every time; PTS_MODEL_SEED=<n> explores
 * others (a failure prints the seed and path that repeat it).
 */
import fc from "fast-check";
import t from "tap";
import { type Bound, type Channel, type DuplicatePolicy, DuplicateTimestampError, type Item, ItemTooLargeError, type RetainOptions, Runtime, WaitTimeoutError } from "../../channels/index.ts";
import { InvalidTimestampError } from "../../runtime/index.ts";
import { SortedModel } from "./sortedModel.ts";

const seed = Number(process.env.PTS_MODEL_SEED ?? 20261126);
t.comment(`channel model: seed ${seed}`);

/** Small timestamps so that duplicates and out-of-order puts are frequent; a few huge ones. */
const tsArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 12, arbitrary: fc.nat({ max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, 1_000_000) },
);
const boundArb: fc.Arbitrary<Bound> = fc.oneof(tsArb, fc.constantFrom<Bound>("oldest", "newest"));
const policyArb: fc.Arbitrary<DuplicatePolicy> = fc.constantFrom("reject", "replace", "keep-first");
/** `ms` in µs terms is 1..30, comparable to the timestamp domain. */
const retainArb: fc.Arbitrary<RetainOptions> = fc.record(
  { count: fc.integer({ min: 1, max: 8 }), ms: fc.integer({ min: 1, max: 30 }).map((us) => us / 1000), bytes: fc.integer({ min: 8, max: 60 }) },
  { requiredKeys: [] },
);
const timeoutArb = fc.integer({ min: 0, max: 2 });

type Op =
  | { op: "put"; ts: number; pad: number }
  | { op: "putInvalid"; ts: number }
  | { op: "at"; ts: number }
  | { op: "range"; lo: Bound; hi: Bound }
  | { op: "edge"; which: "oldest" | "newest" }
  | { op: "lookup"; from: Bound }
  | { op: "take"; timeoutMs: number }
  | { op: "next"; after: number; timeoutMs: number }
  | { op: "items"; from: Bound | undefined; to: Bound | undefined };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("put" as const), ts: tsArb, pad: fc.nat({ max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("putInvalid" as const), ts: fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 53) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("at" as const), ts: tsArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("range" as const), lo: boundArb, hi: boundArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("edge" as const), which: fc.constantFrom("oldest" as const, "newest" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("lookup" as const), from: boundArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("take" as const), timeoutMs: timeoutArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("next" as const), after: tsArb, timeoutMs: timeoutArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("items" as const), from: fc.option(boundArb, { nil: undefined }), to: fc.option(boundArb, { nil: undefined }) }) },
);

/** A value that shows which put stored it (so replace and keep-first are told apart) and varies in size. */
function valueOf(seq: number, pad: number): string {
  return `${seq}:${"x".repeat(pad)}`;
}

function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The items of a finite iterator; stops past `cap` so that one that never ends fails instead of hanging. */
async function collect<T>(it: AsyncIterable<T>, cap: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length > cap) break;
  }
  return out;
}

/** Fails the property with a message that names the step; fast-check prints the shrunk input. */
function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

t.test("channel model - every get variant agrees with a sorted array for any sequence of puts", async (t) => {
  await fc.assert(
    fc.asyncProperty(policyArb, retainArb, fc.array(opArb, { maxLength: 60, size: "max" }), async (policy, retain, ops) => {
      const rt = await Runtime.start();
      try {
        const ch = await rt.channel<string>("model", { onDuplicate: policy, retain });
        const model = new SortedModel<string>(retain, policy);
        const gcLog: Item<string>[][] = [];
        const putLog: Item<string>[] = [];
        ch.on("gc", (items) => void gcLog.push([...items]));
        ch.on("put", (item) => void putLog.push(item));
        let reader: Channel<string> = await rt.lookup<string>("model", { from: "oldest" });
        let cursor = model.startAfter("oldest");

        for (const [seq, o] of ops.entries()) {
          const step = `step ${seq} ${JSON.stringify(o)}`;
          switch (o.op) {
            case "put": {
              const value = valueOf(seq, o.pad);
              const expected = model.put(o.ts, value, jsonSize(value));
              gcLog.length = 0;
              putLog.length = 0;
              const err = await rejection(ch.put(value, o.ts));
              if (expected.kind === "duplicate") {
                if (!(err instanceof DuplicateTimestampError) || err.ts !== o.ts) throw new Error(`${step}: expected DuplicateTimestampError, got ${String(err)}`);
              } else if (expected.kind === "too-large") {
                if (!(err instanceof ItemTooLargeError)) throw new Error(`${step}: expected ItemTooLargeError, got ${String(err)}`);
              } else if (err !== undefined) {
                throw new Error(`${step}: expected the put to resolve, got ${String(err)}`);
              }
              same(putLog, expected.kind === "stored" ? [{ ts: o.ts, value }] : [], `${step}: put trigger`);
              same(gcLog, expected.kind === "stored" && expected.evicted.length > 0 ? [expected.evicted] : [], `${step}: gc trigger`);
              break;
            }
            case "putInvalid": {
              const err = await rejection(ch.put("bad", o.ts));
              if (!(err instanceof InvalidTimestampError)) throw new Error(`${step}: expected InvalidTimestampError, got ${String(err)}`);
              break;
            }
            case "at":
              same(await ch.get(o.ts), model.at(o.ts), `${step}: get(ts)`);
              break;
            case "range":
              same(await ch.get(o.lo, o.hi), model.range(o.lo, o.hi), `${step}: get(lo, hi)`);
              break;
            case "edge":
              same(await ch.get(o.which), o.which === "oldest" ? model.oldest() : model.newest(), `${step}: get("${o.which}")`);
              break;
            case "lookup":
              reader = await rt.lookup<string>("model", { from: o.from });
              cursor = model.startAfter(o.from);
              break;
            case "take": {
              const expected = model.firstAfter(cursor);
              if (expected !== undefined) {
                same(await reader.get(), expected, `${step}: get() after cursor ${cursor}`);
                cursor = expected.ts;
              } else {
                // Nothing to take: get() would wait forever, so check that a bounded wait from
                // the same place times out instead of inventing an item. next() takes only a
                // valid timestamp, so "before everything" (-1) is checked as get(0) + next(0).
                if (cursor < 0) same(await reader.get(0), undefined, `${step}: get(0) with nothing to take`);
                const err = await rejection(reader.next(Math.max(cursor, 0), { timeoutMs: o.timeoutMs }));
                if (!(err instanceof WaitTimeoutError)) throw new Error(`${step}: expected WaitTimeoutError after cursor ${cursor}, got ${JSON.stringify(err)}`);
              }
              break;
            }
            case "next": {
              const expected = model.firstAfter(o.after);
              if (expected !== undefined) {
                same(await ch.next(o.after, { timeoutMs: o.timeoutMs }), expected, `${step}: next(${o.after})`);
              } else {
                const err = await rejection(ch.next(o.after, { timeoutMs: o.timeoutMs }));
                if (!(err instanceof WaitTimeoutError)) throw new Error(`${step}: expected WaitTimeoutError, got ${JSON.stringify(err)}`);
              }
              break;
            }
            case "items": {
              const from = model.startAfter(o.from ?? "oldest");
              const to = o.to === undefined ? Number.MAX_SAFE_INTEGER : model.resolve(o.to) ?? -1;
              const expected = model.all().filter((i) => i.ts > from && i.ts <= to);
              same(await collect(ch.items({ from: o.from, to: o.to }), expected.length), expected, `${step}: items(${JSON.stringify({ from: o.from, to: o.to })})`);
              break;
            }
          }
          const s = ch.stats();
          same(
            { items: s.items, oldest: s.oldest ?? null, newest: s.newest ?? null, puts: s.puts, evicted: s.evicted, bytes: s.bytes },
            { items: model.size, oldest: model.oldest()?.ts ?? null, newest: model.newest()?.ts ?? null, puts: model.puts, evicted: model.evicted, bytes: retain.bytes === undefined ? null : model.bytes },
            `${step}: stats()`,
          );
        }

        // Final sweep: every timestamp of the domain, and the whole window.
        for (let ts = 0; ts <= 41; ts++) same(await ch.get(ts), model.at(ts), `final get(${ts})`);
        same(await ch.get("oldest", "newest"), model.all(), "final get(oldest, newest)");
        same(await collect(ch.items(), model.size), model.all(), "final items()");
      } finally {
        await rt.stop();
      }
    }),
    { numRuns: 400, seed },
  );
});

type FollowOp = { op: "put"; ts: number } | { op: "pull" };

const followOpArb: fc.Arbitrary<FollowOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("put" as const), ts: tsArb }) },
  { weight: 2, arbitrary: fc.constant({ op: "pull" as const }) },
);

/** `p`, or a failure naming `what` if it has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets every pending microtask and the current macrotask run, so a promise that could settle has. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

t.test("channel model - items({follow}) interleaved with puts yields exactly the model's next items, in order", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      policyArb,
      fc.option(fc.record({ count: fc.integer({ min: 1, max: 8 }) }), { nil: undefined }),
      fc.oneof(boundArb, fc.constant(undefined)),
      fc.option(tsArb, { nil: undefined }),
      fc.array(followOpArb, { maxLength: 50, size: "max" }),
      async (policy, retain, from, to, ops) => {
        const rt = await Runtime.start();
        try {
          const ch = await rt.channel<number>("follow", { onDuplicate: policy, ...(retain ? { retain } : {}) });
          const model = new SortedModel<number>(retain ?? {}, policy);
          const it = ch.items({ from, to, follow: true })[Symbol.asyncIterator]();
          const end = to ?? Number.MAX_SAFE_INTEGER;
          let after: number | undefined; // unresolved until the first pull: bounds resolve then
          let pending: { p: Promise<IteratorResult<Item<number>>>; settled: boolean } | undefined;
          let done = false;
          const got: number[] = [];

          // What the iterator must answer now, from `after`: an item, the end, or a wait.
          const expectation = (): Item<number> | "done" | "wait" => {
            const next = model.firstAfter(after!);
            if (next !== undefined) return next.ts > end ? "done" : next;
            return after! >= end ? "done" : "wait";
          };
          const check = (r: IteratorResult<Item<number>>, want: Item<number> | "done", what: string): void => {
            same(r.done ? "done" : r.value, want, what);
            if (want === "done") done = true;
            else {
              if (got.length > 0 && want.ts <= got[got.length - 1]) throw new Error(`${what}: ts ${want.ts} not after ${got[got.length - 1]}`);
              got.push(want.ts);
              after = want.ts;
            }
          };

          for (const [seq, o] of ops.entries()) {
            const step = `step ${seq} ${JSON.stringify(o)} (after ${after}, yielded ${JSON.stringify(got)})`;
            if (o.op === "put") {
              model.put(o.ts, seq, 0);
              await rejection(ch.put(seq, o.ts));
            } else if (done) {
              same((await it.next()).done, true, `${step}: after the end`);
            } else if (pending === undefined) {
              after ??= model.startAfter(from ?? "oldest");
              const want = expectation();
              if (want === "wait") {
                const p = it.next();
                pending = { p, settled: false };
                const entry = pending;
                void p.then(() => (entry.settled = true), () => (entry.settled = true));
              } else {
                check(await it.next(), want, `${step}: next()`);
              }
            }
            if (pending !== undefined) {
              const want = expectation();
              if (want === "wait") {
                await settle();
                if (pending.settled) throw new Error(`${step}: the iterator answered ${JSON.stringify(await pending.p)} while the model has nothing after ${after}`);
              } else {
                const p = pending.p;
                pending = undefined;
                check(await within(p, 2000, `${step}: the pending next() was not woken`), want, `${step}: pending next()`);
              }
            }
          }
          await it.return?.();
          if (pending !== undefined) same((await pending.p).done, true, "pending next() after return()");
        } finally {
          await rt.stop();
        }
      },
    ),
    { numRuns: 1000, seed },
  );
});
