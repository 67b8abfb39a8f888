/**
 * Channels on the embedded runtime: put throughput, get(ts) latency on 1M items, range get of
 * ~100 items from 1M, and fan-out to 16 live iterators, each against a bare baseline measured in
 * this run.
 *
 *   npm run bench -- channels
 *
 * The baseline is the least a sorted time index can do: a JS array of { ts, value } objects with
 * a parallel number[] of timestamps and a hand-written binary search.
 * - put: `push` into both arrays (the in-order case; no await).
 * - get(ts): the binary search returning the item (no promise).
 * - range: two binary searches and a `slice`.
 * - fan-out: per put, a push into the arrays and 16 plain callbacks that push the item into
 *   their own array — what 16 subscribers cost without any async machinery.
 * Each figure is the median of RUNS runs after a warm-up run; the channel's runs and the
 * baseline's are interleaved so that a disturbance of this shared machine hits both alike.
 */
import { type Channel, type Item, Runtime } from "../channels/index.ts";
import { lowerBound } from "../channels/lowerBound.ts";
import { figure, status } from "./harness.ts";

const bench = "channels";
const RUNS = 5;
const PUTS = 1_000_000;
const WINDOW = 1_000_000;
const GETS = 200_000;
const RANGES = 50_000;
const RANGE_ITEMS = 100;
const FANOUT = 16;
const FANOUT_PUTS = 100_000;
/** Realistic timestamps: µs since the epoch, 10 µs apart (a 100 kHz stream). */
const T0 = 1_764_000_000_000_000;
const STEP = 10;

let sink = 0;
let step = 0;
function say(what: string): void {
  status(`channels bench [${++step}] ${what}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The baseline: a bare sorted array with a parallel timestamp array. */
class BareIndex {
  ts: number[] = [];
  items: Item<number>[] = [];

  push(value: number, ts: number): void {
    this.ts.push(ts);
    this.items.push({ ts, value });
  }

  at(x: number): Item<number> | undefined {
    const i = lowerBound(this.ts, x);
    return this.ts[i] === x ? this.items[i] : undefined;
  }

  range(lo: number, hi: number): Item<number>[] {
    return this.items.slice(lowerBound(this.ts, lo), lowerBound(this.ts, hi + 1));
  }
}

async function freshChannel(rt: Runtime, name: string, count: number): Promise<Channel<number>> {
  return rt.channel<number>(name, { retain: { count } });
}

let channelSeq = 0;

/** Items per second of `await ch.put(i, ts)` in time order into a fresh channel. */
async function putRate(n: number): Promise<number> {
  const rt = await Runtime.start();
  const ch = await freshChannel(rt, `put ${channelSeq++}`, n + 1);
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i++) await ch.put(i, T0 + i * STEP);
  const rate = (n * 1000) / (performance.now() - start);
  await rt.stop();
  return rate;
}

function barePutRate(n: number): number {
  const bare = new BareIndex();
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i++) bare.push(i, T0 + i * STEP);
  const rate = (n * 1000) / (performance.now() - start);
  sink += bare.items.length;
  return rate;
}

/** Random existing timestamps (a fixed LCG, so every run asks for the same ones). */
function randomTimestamps(n: number, of: number): number[] {
  const out = new Array<number>(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = T0 + (x % of) * STEP;
  }
  return out;
}

async function getNs(ch: Channel<number>, keys: number[]): Promise<number> {
  const start = performance.now();
  for (const k of keys) sink += (await ch.get(k))!.value;
  return ((performance.now() - start) * 1e6) / keys.length;
}

function bareGetNs(bare: BareIndex, keys: number[]): number {
  const start = performance.now();
  for (const k of keys) sink += bare.at(k)!.value;
  return ((performance.now() - start) * 1e6) / keys.length;
}

async function rangeNs(ch: Channel<number>, keys: number[]): Promise<number> {
  const start = performance.now();
  for (const k of keys) sink += (await ch.get(k, k + (RANGE_ITEMS - 1) * STEP)).length;
  return ((performance.now() - start) * 1e6) / keys.length;
}

function bareRangeNs(bare: BareIndex, keys: number[]): number {
  const start = performance.now();
  for (const k of keys) sink += bare.range(k, k + (RANGE_ITEMS - 1) * STEP).length;
  return ((performance.now() - start) * 1e6) / keys.length;
}

/**
 * Items per second delivered to all of FANOUT live iterators (items({ follow: true })) while one
 * producer puts n items; counted from the first put until every iterator has had the last item.
 */
async function fanoutRate(n: number): Promise<number> {
  const rt = await Runtime.start();
  const ch = await freshChannel(rt, `fanout ${channelSeq++}`, n + 1);
  const last = T0 + (n - 1) * STEP;
  const consumers: Promise<number>[] = [];
  for (let c = 0; c < FANOUT; c++) {
    consumers.push(
      (async () => {
        let got = 0;
        for await (const item of ch.items({ from: "oldest", to: last, follow: true })) {
          got++;
          sink += item.value;
        }
        return got;
      })(),
    );
  }
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i++) await ch.put(i, T0 + i * STEP);
  const counts = await Promise.all(consumers);
  const elapsed = performance.now() - start;
  await rt.stop();
  for (const got of counts) if (got !== n) throw new Error(`a fan-out iterator got ${got} of ${n} items`);
  return (n * FANOUT * 1000) / elapsed;
}

function bareFanoutRate(n: number): number {
  const bare = new BareIndex();
  const received: Item<number>[][] = [];
  const callbacks: ((item: Item<number>) => void)[] = [];
  for (let c = 0; c < FANOUT; c++) {
    const mine: Item<number>[] = [];
    received.push(mine);
    callbacks.push((item) => void mine.push(item));
  }
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * STEP;
    bare.push(i, ts);
    const item = bare.items[bare.items.length - 1];
    for (const cb of callbacks) cb(item);
  }
  const elapsed = performance.now() - start;
  for (const r of received) sink += r.length;
  return (n * FANOUT * 1000) / elapsed;
}

/** Runs a measurement and its baseline RUNS times, interleaved, after one warm-up of each. */
async function medians(label: string, ours: () => Promise<number> | number, base: () => Promise<number> | number): Promise<{ value: number; baseline: number }> {
  say(`${label}: warm-up`);
  await ours();
  await base();
  const vs: number[] = [];
  const bs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    say(`${label}: run ${r + 1}/${RUNS}`);
    vs.push(await ours());
    bs.push(await base());
  }
  return { value: median(vs), baseline: median(bs) };
}

{
  const { value, baseline } = await medians("put", () => putRate(PUTS), () => barePutRate(PUTS));
  figure({ bench, figure: "put, in order (await ch.put)", value, unit: "items/s", baseline, target: "value >= 1000000" });
}

{
  say("filling 1M items");
  const rt = await Runtime.start();
  const ch = await freshChannel(rt, "window", WINDOW + 1);
  const bare = new BareIndex();
  for (let i = 0; i < WINDOW; i++) {
    await ch.put(i, T0 + i * STEP);
    bare.push(i, T0 + i * STEP);
  }
  const keys = randomTimestamps(GETS, WINDOW);
  const get = await medians("get(ts)", () => getNs(ch, keys), () => bareGetNs(bare, keys));
  figure({ bench, figure: "get(ts) on 1M items, random existing ts", value: get.value, unit: "ns/get", baseline: get.baseline, target: "ratio <= 3" });

  const starts = randomTimestamps(RANGES, WINDOW - RANGE_ITEMS);
  const range = await medians("get(lo, hi)", () => rangeNs(ch, starts), () => bareRangeNs(bare, starts));
  figure({ bench, figure: `get(lo, hi) of ${RANGE_ITEMS} items from 1M`, value: range.value, unit: "ns/call", baseline: range.baseline, target: null });
  await rt.stop();
}

{
  const { value, baseline } = await medians("fan-out", () => fanoutRate(FANOUT_PUTS), () => bareFanoutRate(FANOUT_PUTS));
  figure({ bench, figure: `fan-out to ${FANOUT} live iterators (items follow), delivered`, value, unit: "items/s", baseline, target: null });
}

if (sink === -1) process.stderr.write("unreachable\n");
