import t from "tap";
import { InvalidTimestampError, assertTimestamp, fromDate, fromIso, fromMs, now, parseDuration, parseTime, toDate, toIso, toMs } from "../../runtime/index.ts";

t.test("clock - now is integer microseconds near Date.now, strictly increasing", async (t) => {
  const a = now();
  const b = now();
  t.ok(Number.isSafeInteger(a));
  t.ok(b > a, "two calls never return the same value");
  t.ok(Math.abs(a / 1000 - Date.now()) < 5000, "within 5 s of the wall clock");
  let last = now();
  for (let i = 0; i < 10_000; i++) {
    const x = now();
    if (x <= last) t.fail(`now went from ${last} to ${x}`);
    last = x;
  }
});

t.test("clock - assertTimestamp rejects NaN, fractions, negatives, unsafe and non-numbers", async (t) => {
  for (const bad of [NaN, 1.5, -1, Number.MAX_SAFE_INTEGER + 1, Infinity, "5", null, undefined, 5n]) {
    t.throws(() => assertTimestamp(bad), InvalidTimestampError, String(bad));
  }
  t.doesNotThrow(() => assertTimestamp(0));
  t.doesNotThrow(() => assertTimestamp(Number.MAX_SAFE_INTEGER));
  const err = t.throws(() => assertTimestamp(-3)) as InvalidTimestampError;
  t.equal(err.code, "PTS_INVALID_TIMESTAMP");
  t.match(err.message, /negative/);
});

t.test("clock - conversions to and from ms, Date and ISO-8601 keep microseconds", async (t) => {
  t.equal(fromMs(1.5), 1500);
  t.equal(toMs(1500), 1.5);
  const d = new Date("2026-11-25T10:00:00.123Z");
  t.equal(fromDate(d), d.getTime() * 1000);
  t.equal(toDate(fromDate(d) + 999).getTime(), d.getTime(), "sub-ms part is floored");
  const ts = fromIso("2026-11-25T10:00:00.123456Z");
  t.equal(ts % 1_000_000, 123456);
  t.equal(toIso(ts), "2026-11-25T10:00:00.123456Z");
  t.equal(fromIso("2026-11-25T11:00:00+01:00"), fromIso("2026-11-25T10:00:00Z"), "zones are honoured");
  t.equal(fromIso("2026-11-25T10:00:00"), fromIso("2026-11-25T10:00:00Z"), "no zone means UTC");
  t.equal(fromIso("2026-11-25"), Date.UTC(2026, 10, 25) * 1000);
  for (let i = 0; i < 100; i++) {
    const x = Math.floor(Math.random() * 4e15);
    t.equal(fromIso(toIso(x)), x, "ISO round trip");
  }
  t.throws(() => fromIso("yesterday"), InvalidTimestampError);
  t.throws(() => fromIso("2026-13-45T99:00:00Z"), InvalidTimestampError);
  t.throws(() => fromMs(NaN), InvalidTimestampError);
  t.throws(() => fromDate(new Date("nope")), InvalidTimestampError);
  t.throws(() => toIso(-1), InvalidTimestampError);
});

t.test("clock - parseTime reads integers, now, ISO and relative forms", async (t) => {
  const ref = 1_800_000_000_000_000;
  t.equal(parseTime("-5s", ref), ref - 5_000_000);
  t.equal(parseTime("+250ms", ref), ref + 250_000);
  t.equal(parseTime("-1.5m", ref), ref - 90_000_000);
  t.equal(parseTime("-2h", ref), ref - 7_200_000_000);
  t.equal(parseTime("-10us", ref), ref - 10);
  t.equal(parseTime("now", ref), ref);
  t.equal(parseTime("123456"), 123456);
  t.equal(parseTime(42), 42);
  t.equal(parseTime("2026-11-25T10:00:00Z"), fromIso("2026-11-25T10:00:00Z"));
  t.equal(parseDuration("5s"), 5_000_000);
  t.throws(() => parseTime("-5 parsecs", ref), InvalidTimestampError);
  t.throws(() => parseTime("-100000d", 5), InvalidTimestampError, "relative time before the epoch");
  t.throws(() => parseTime(-1), InvalidTimestampError);
  t.throws(() => parseDuration("soon"), InvalidTimestampError);
});
