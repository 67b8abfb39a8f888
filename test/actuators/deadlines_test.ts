// Deadlines (actuators/deadlines.ts): attempts that start together share one signal; an attempt
// that ignores its signal still ends with the timeout error; closing aborts every slot.
import t from "tap";
import { Deadlines } from "../../actuators/deadlines.ts";

const timeout = () => new Error("timed out");

t.test("deadlines - attempts of one slot share a signal; one that never settles is rejected at its deadline", async (t) => {
  const closing = new AbortController();
  // The clock stands still while the first two attempts start (a slot lasts 1 ms), then runs.
  let frozen: number | undefined = performance.now();
  const deadlines = new Deadlines(50, closing.signal, timeout, () => frozen ?? performance.now());
  const signals: AbortSignal[] = [];
  const stuck = deadlines.run((signal) => {
    signals.push(signal);
    return new Promise<never>(() => undefined); // ignores its signal
  });
  const quick = deadlines.run(async (signal) => {
    signals.push(signal);
    return 7;
  });
  frozen = undefined;
  t.equal(signals[0], signals[1], "one signal for attempts started together");
  t.equal(await quick, 7, "an attempt that settles in time resolves with its value");
  await t.rejects(stuck, /timed out/, "the stuck attempt ends with the timeout error");
  t.ok(signals[0].aborted, "and its signal was aborted");
  t.match(String(signals[0].reason), /timed out/);
  const later = deadlines.run(async (signal) => signal);
  t.not(await later, signals[0], "an attempt after the slot closed gets a fresh signal");
  t.notOk((await later).aborted);
});

t.test("deadlines - closing aborts the signals of attempts in flight; failures pass through", async (t) => {
  const closing = new AbortController();
  const deadlines = new Deadlines(60_000, closing.signal, timeout);
  const heeding = deadlines.run((signal) => new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))));
  closing.abort(new Error("closing"));
  await t.rejects(heeding, /closing/);
  await t.rejects(deadlines.run(async () => Promise.reject(new Error("refused"))), /refused/, "an attempt's own error is its outcome");
});

t.test("deadlines - many slots and many attempts per slot add no listener warnings", async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on("warning", onWarning);
  t.teardown(() => void process.off("warning", onWarning));
  const deadlines = new Deadlines(100, new AbortController().signal, timeout);
  for (let i = 0; i < 30; i++) {
    // Each attempt listens on its signal, as fetch does; 20 share a slot, and a slot lasts 1 ms.
    await Promise.all(Array.from({ length: 20 }, () => deadlines.run(async (signal) => signal.addEventListener("abort", () => undefined))));
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setImmediate(r));
  t.same(warnings.map((w) => w.name), [], "no MaxListenersExceededWarning");
});
