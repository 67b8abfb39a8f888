import t from "tap";
import { Backoff, InvalidOptionError, RateLimiter, retry, sleep } from "../../index.ts";
import { isPending, tick } from "../helpers.ts";

t.test("backoff - delays grow by the factor up to the maximum, and reset", async (t) => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
  t.same([b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000]);
  b.reset();
  t.equal(b.next(), 100);
  const j = new Backoff({ initialMs: 100, jitter: 0.5 });
  const d = j.next();
  t.ok(d >= 50 && d <= 150, `jitter keeps ${d} within ±50%`);
});

t.test("retry - retries until success, and gives up with the last error", async (t) => {
  let calls = 0;
  const v = await retry(async () => {
    if (++calls < 3) throw new Error(`fail ${calls}`);
    return "ok";
  }, { attempts: 5, backoff: { initialMs: 1 } });
  t.equal(v, "ok");
  t.equal(calls, 3);
  const retries: number[] = [];
  await t.rejects(retry(async (a) => { throw new Error(`attempt ${a}`); }, { attempts: 3, backoff: { initialMs: 1 }, onRetry: (_e, a) => retries.push(a) }), { message: "attempt 3" });
  t.same(retries, [1, 2]);
  let n = 0;
  await t.rejects(retry(async () => { n++; throw new Error("fatal"); }, { attempts: 5, retryable: () => false }), { message: "fatal" });
  t.equal(n, 1, "a non-retryable error is not retried");
});

t.test("sleep - an abort ends it at once", async (t) => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort(new Error("stop"));
  await t.rejects(p, { message: "stop" });
});

t.test("rate limiter - a burst, then one token per period", async (t) => {
  // The clock stands still (a stall of 1 ms would refill a token) until the test moves it.
  let clock = performance.now();
  const r = new RateLimiter(1000, 3, () => clock);
  t.same([r.tryTake(), r.tryTake(), r.tryTake(), r.tryTake()], [true, true, true, false]);
  const take = r.take();
  await tick(20);
  t.ok(await isPending(take), "take waits while no token refills");
  clock += 1;
  await take;
  t.pass("and resolves once one does");
  t.throws(() => new RateLimiter(0), InvalidOptionError);
});
