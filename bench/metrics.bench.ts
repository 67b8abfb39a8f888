/**
 * Metrics overhead: channel puts and a pipeline's throughput with metrics on (a runtime with
 * `metrics: { port: 0 }`, scraped every 100 ms) against metrics off, in the same run.
 *
 *   npm run bench -- metrics
 *
 * - Scraper: a child process (as Prometheus would be) that GETs /metrics every SCRAPE_MS over
 *   one keep-alive connection (as Prometheus keeps one) and reads the whole body; so the
 *   server's work (collectors, serialisation, the socket) is paid by the measured process, and
 *   the client's is not. It uses node:http: fetch() cost the child about three times the CPU
 *   (600 ms against 230 ms per 5 s), which on this shared 2-core machine was taken from the
 *   measured process and counted as metrics overhead. Each metrics-on run waits for one scrape
 *   before timing starts, and checks that scrapes happened while it ran.
 * - Put: `await ch.put(i, ts)` in time order into a fresh channel (retain.count RETAIN) on a
 *   fresh runtime, PUTS items; every YIELD_EVERY puts both sides yield to the event loop
 *   (setImmediate), so the metrics server can answer scrapes during the loop (awaiting a
 *   resolved put alone never lets I/O in).
 * - Pipeline: the lightest pipeline, so that per-item costs show most: a source putting
 *   numbers as fast as the pipeline takes them (at most AHEAD in flight, no drops), a
 *   prioritize stage, a process function returning its input, and a no-op actuator. Metrics on
 *   adds two plain-number histogram updates per item (stage duration, end-to-end latency) and
 *   the scrapes. The source yields to the event loop every FEED_YIELD_EVERY items (the pipeline
 *   could otherwise run on microtasks alone). Throughput is items finished per second over
 *   PIPELINE_MS after a warm-up. This pipeline's own rate drifts far more than metrics cost:
 *   in one process on a quiet machine, its items per CPU-second went from 68k to 31k and back
 *   over stretches of several seconds, metrics off as much as on. So runs are short and
 *   many (RUNS). Put rates move between runtimes too (in separate processes, metrics on
 *   without scrapes ran from 0.95 to 1.6 times as fast as off: the same code, JIT-compiled
 *   differently). So two more figures pair one-second windows of one running load (the put
 *   loop, the pipeline) with the scraper on and off (scrapedWindows below), which that drift
 *   moves least: the scrapes' whole cost to a busy process.
 * Each figure is the median of RUNS runs after a warm-up of each side, the sides alternating
 * (on first in odd runs, off first in even ones) so that a disturbance of this shared machine
 * hits both alike. value = metrics on, baseline = metrics off (medians); the ratio is the median
 * of the ratios of each on run to the off run next to it, which a load that drifts over the
 * minutes of the bench moves less than the ratio of the medians. Target: ratio >= 0.95. A third
 * figure, the pipeline with metrics served but never scraped, tells the per-item cost (the
 * histograms) from the scrapes' cost.
 *
 * CPU per scrape: the CPU time one scrape costs this process, measured apart from any rate
 * (scrapeCpu below), so that what a scrape costs can be told even when this shared machine's
 * load moves the ratios above by more than that.
 *
 * Each scenario is reported twice: per second of wall time, and per second of this process's
 * CPU time (process.cpuUsage, every thread, the metrics server's work included). On this
 * 2-core machine shared with other jobs (load averages of 7 and more) the wall-time ratios of
 * the same code swung from 0.74 to 1.40 between runs; CPU time is what metrics cost, and what
 * other processes take from this one does not count in it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Item } from "../channels/index.ts";
import { Runtime } from "../channels/index.ts";
import { BaseActuator } from "../actuators/index.ts";
import { type PipelineDefinition, runPipeline } from "../pipelines/index.ts";
import { now, sleep } from "../runtime/index.ts";
import { figure, quantile, status } from "./harness.ts";

const bench = "metrics";
const RUNS = 21;
const PUTS = 1_000_000;
const RETAIN = 100_000;
const YIELD_EVERY = 1024;
const PIPELINE_MS = Number(process.env.PTS_BENCH_MS ?? 1000);
const AHEAD = 16;
const FEED_YIELD_EVERY = 64;
const SCRAPE_MS = 100;
const LIGHT_ITEMS = 5000;
const SCRAPE_WINDOW_MS = 1000;
const SCRAPE_WINDOWS = 15;
const T0 = 1_764_000_000_000_000;
const STEP = 10;

let sink = 0;
let step = 0;
function say(what: string): void {
  status(`metrics bench [${++step}] ${what}`);
}

/** bench/run.ts runs benches with --expose-gc: each timed part starts after a full collection. */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/**
 * The scraper child: each line on stdin is a URL to scrape from now on (an empty line: stop
 * scraping), or "count", answered with the number of successful scrapes so far.
 */
const SCRAPER = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let url; let n = 0; let busy = false; let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  for (let i; (i = buf.indexOf("\\n")) >= 0; ) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line === "count") process.stdout.write(n + "\\n"); else url = line || undefined;
  }
});
process.stdin.on("end", () => process.exit(0));
setInterval(() => {
  if (!url || busy) return;
  busy = true;
  const done = () => { busy = false; };
  http.get(url, { agent }, (res) => {
    res.on("data", () => {});
    res.on("end", () => { if (res.statusCode === 200) n++; done(); });
    res.on("error", done);
  }).on("error", done);
}, ${SCRAPE_MS});
`;

class Scraper {
  private readonly child: ChildProcess;
  private answers: ((n: number) => void)[] = [];

  constructor() {
    this.child = spawn(process.execPath, ["-e", SCRAPER], { stdio: ["pipe", "pipe", "inherit"] });
    let buf = "";
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (d: string) => {
      buf += d;
      for (let i; (i = buf.indexOf("\n")) >= 0; ) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.answers.shift()?.(Number(line));
      }
    });
  }

  target(url: string | undefined): void {
    this.child.stdin!.write(`${url ?? ""}\n`);
  }

  count(): Promise<number> {
    return new Promise((resolve) => {
      this.answers.push(resolve);
      this.child.stdin!.write("count\n");
    });
  }

  /** Points the scraper at url and waits for its first successful scrape there. */
  async attach(url: string): Promise<number> {
    const before = await this.count();
    this.target(url);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = await this.count();
      if (n > before) return n;
      if (Date.now() > deadline) throw new Error(`metrics bench: no scrape of ${url} succeeded within 10 s`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    const gone = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin!.end();
    await gone;
  }
}

const scraper = new Scraper();

/** Metrics off, on and scraped, or on and never scraped (the per-item cost alone). */
type Mode = boolean | "unscraped";

/** A runtime with metrics served and scraped, or without metrics; and a check that scrapes happened. */
async function startRuntime(metrics: Mode): Promise<{ rt: Runtime; done: () => Promise<void> }> {
  if (metrics === "unscraped") {
    const rt = await Runtime.start({ metrics: { port: 0 } });
    return { rt, done: () => rt.stop() };
  }
  if (!metrics) {
    const rt = await Runtime.start();
    return { rt, done: () => rt.stop() };
  }
  const rt = await Runtime.start({ metrics: { port: 0 } });
  const first = await scraper.attach(rt.metricsAddress!.url);
  return {
    rt,
    done: async () => {
      const scraped = (await scraper.count()) - first;
      scraper.target(undefined);
      await rt.stop();
      if (scraped < 1) throw new Error("metrics bench: no scrape happened during a metrics-on run; the measurement would not include them");
    },
  };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

let channelSeq = 0;

/** Items per second of wall time and of this process's CPU time. */
type Rate = { wall: number; cpu: number };

/** Starts a measurement; the returned function gives the rates of `items` done since. */
function measure(): (items: number) => Rate {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return (items) => {
    const used = process.cpuUsage(cpu);
    return { wall: (items * 1000) / (performance.now() - wall), cpu: (items * 1e6) / (used.user + used.system) };
  };
}

/** Items per second of `await ch.put(i, ts)` into a fresh channel. */
async function putRate(metrics: Mode): Promise<Rate> {
  const { rt, done } = await startRuntime(metrics);
  const ch = await rt.channel<number>(`put-${channelSeq++}`, { retain: { count: RETAIN } });
  gc();
  const rates = measure();
  for (let i = 0; i < PUTS; i++) {
    await ch.put(i, T0 + i * STEP);
    if ((i & (YIELD_EVERY - 1)) === YIELD_EVERY - 1) await yieldToLoop();
  }
  const rate = rates(PUTS);
  await done();
  return rate;
}

/** Does nothing: the actuate stage's own bookkeeping is what is measured. */
class NoopActuator extends BaseActuator<number> {
  constructor() {
    super("noop", { attempts: 1 });
  }
  protected async attempt(item: Item<number>): Promise<void> {
    sink += item.value & 1;
  }
}

/**
 * The light pipeline on `rt`, fed as fast as it takes items, `limit` of them at most; `finished()`
 * counts the items done, `stop()` stops it and checks that it dropped and failed nothing.
 */
async function lightPipeline(rt: Runtime, limit = Infinity): Promise<Load> {
  let finished = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let feeding: Promise<void> = Promise.resolve();
  const def: PipelineDefinition<number, number> = {
    kind: "pts.pipeline",
    name: `light-${channelSeq++}`,
    sense: {
      channel: { retain: { count: 1024 } },
      sources: (ch) => ({
        start: () => {
          feeding = (async () => {
            for (let seq = 0; !stopped && seq < limit; seq++) {
              while (!stopped && seq - finished >= AHEAD) await new Promise<void>((resolve) => (wake = resolve));
              if (stopped) break;
              await ch.put(seq, now());
              // The whole pipeline can run on microtasks; without this, timers and the
              // metrics server would never get a turn.
              if ((seq & (FEED_YIELD_EVERY - 1)) === FEED_YIELD_EVERY - 1) await yieldToLoop();
            }
          })();
        },
        stop: async () => {
          stopped = true;
          wake?.();
          await feeding;
        },
      }),
    },
    prioritize: { capacity: AHEAD * 2 },
    process: { channel: { retain: { count: 1024 } }, fn: async (item) => item.value },
    actuate: { actuators: () => [new NoopActuator()] },
  };
  const running = await runPipeline(rt, def, {
    onEvent: () => {
      finished++;
      wake?.();
    },
  });
  return {
    finished: () => finished,
    stop: async () => {
      await running.stop();
      const s = running.stats().stages;
      if (s.prioritize.dropped.stale + s.prioritize.dropped.shed > 0 || s.process.errors > 0) throw new Error(`metrics bench: the light pipeline dropped or failed items: ${JSON.stringify(s)}`);
    },
  };
}

/** Items per second through the light pipeline, fed as fast as it takes them. */
async function pipelineRate(metrics: Mode): Promise<Rate> {
  const { rt, done } = await startRuntime(metrics);
  const pipeline = await lightPipeline(rt);
  while (pipeline.finished() < 1000) await sleep(5);
  gc();
  const from = pipeline.finished();
  const rates = measure();
  await sleep(PIPELINE_MS);
  const rate = rates(pipeline.finished() - from);
  await pipeline.stop();
  await done();
  return rate;
}

/**
 * Alternates SCRAPE_WINDOWS pairs of SCRAPE_WINDOW_MS windows on one runtime, the scraper on in
 * one and off in the other (which goes first alternating; a first pair warms up), and gives
 * each pair to `pair`: this process's CPU time (µs) and the light pipeline's finished items in
 * each window, and the scrapes in the scraped one.
 */
type Window = { cpu: number; items: number };
async function scrapedWindows(rt: Runtime, finished: () => number, label: string, pair: (on: Window, off: Window, scrapes: number) => void): Promise<void> {
  const url = rt.metricsAddress!.url;
  await scraper.attach(url);
  for (let w = 0; w <= SCRAPE_WINDOWS; w++) {
    say(`${label}: window pair ${w}/${SCRAPE_WINDOWS}`);
    const windows = { on: { cpu: 0, items: 0 }, off: { cpu: 0, items: 0 } };
    let scrapes = 0;
    for (const side of w % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
      scraper.target(side === "on" ? url : undefined);
      await sleep(SCRAPE_MS);
      const before = side === "on" ? await scraper.count() : 0;
      const items = finished();
      const from = process.cpuUsage();
      await sleep(SCRAPE_WINDOW_MS);
      const used = process.cpuUsage(from);
      windows[side] = { cpu: used.user + used.system, items: finished() - items };
      if (side === "on") scrapes = (await scraper.count()) - before;
    }
    if (w > 0) {
      if (scrapes < 1) throw new Error(`metrics bench: a scraped window saw no scrape (${label})`);
      pair(windows.on, windows.off, scrapes);
    }
  }
  scraper.target(undefined);
}

/**
 * CPU time per scrape, in µs: on one runtime whose light pipeline has run LIGHT_ITEMS items and
 * rests, the CPU time of a scraped window less that of the unscraped one next to it, divided by
 * its scrapes; the median of the pairs. It does not depend on the throughput figures' rates,
 * which the load of this shared machine moves by far more than a scrape costs.
 */
async function scrapeCpu(): Promise<number> {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  const pipeline = await lightPipeline(rt, LIGHT_ITEMS);
  while (pipeline.finished() < LIGHT_ITEMS) await sleep(5);
  await pipeline.stop();
  const perScrape: number[] = [];
  await scrapedWindows(rt, pipeline.finished, "CPU per scrape", (on, off, scrapes) => perScrape.push((on.cpu - off.cpu) / scrapes));
  await rt.stop();
  return quantile(perScrape, 0.5);
}

/** A load that runs until stopped: `finished()` counts its items so far. */
type Load = { finished: () => number; stop: () => Promise<void> };

/** `await ch.put(i, ts)` in time order into one channel (retain.count RETAIN), yielding as putRate does, until stopped. */
async function putLoad(rt: Runtime): Promise<Load> {
  const ch = await rt.channel<number>(`put-${channelSeq++}`, { retain: { count: RETAIN } });
  let i = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await ch.put(i, T0 + i * STEP);
      if ((++i & (YIELD_EVERY - 1)) === 0) await yieldToLoop();
    }
  })();
  return {
    finished: () => i,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/**
 * A running load's items per CPU-second in scraped windows against the unscraped window next
 * to each, on one runtime: the scrapes' cost to a busy process, with the drift of the load's
 * own rate paired away. Medians, and the median of the pairs' ratios.
 */
async function scrapedVsUnscraped(label: string, start: (rt: Runtime) => Promise<Load>): Promise<Summary> {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  const load = await start(rt);
  while (load.finished() < 1000) await sleep(5);
  const ons: number[] = [];
  const offs: number[] = [];
  await scrapedWindows(rt, load.finished, `${label}, scraped vs unscraped`, (on, off) => {
    ons.push((on.items * 1e6) / on.cpu);
    offs.push((off.items * 1e6) / off.cpu);
  });
  await load.stop();
  await rt.stop();
  return { on: quantile(ons, 0.5), off: quantile(offs, 0.5), ratio: quantile(ons.map((x, i) => x / offs[i]), 0.5) };
}

/** Metrics on and off, RUNS times each after a warm-up of each, alternating which goes first; medians. */
async function onOff(label: string, run: (metrics: Mode) => Promise<Rate>, on: Mode = true): Promise<{ wall: Summary; cpu: Summary }> {
  say(`${label}: warm-up`);
  await run(on);
  await run(false);
  const ons: Rate[] = [];
  const offs: Rate[] = [];
  for (let r = 0; r < RUNS; r++) {
    say(`${label}: run ${r + 1}/${RUNS}`);
    if (r % 2 === 0) {
      ons.push(await run(on));
      offs.push(await run(false));
    } else {
      offs.push(await run(false));
      ons.push(await run(on));
    }
  }
  // RUNS is odd: the nearest-rank median is a measured run.
  const median = (xs: number[]) => quantile(xs, 0.5);
  const summary = (of: (x: Rate) => number) => ({ on: median(ons.map(of)), off: median(offs.map(of)), ratio: median(ons.map((x, r) => of(x) / of(offs[r]))) });
  return { wall: summary((x) => x.wall), cpu: summary((x) => x.cpu) };
}

type Summary = { on: number; off: number; ratio: number };

/** The wall-time and the CPU-time figures of one scenario. */
function figures(name: string, { wall, cpu }: { wall: Summary; cpu: Summary }, target: string | null): void {
  figure({ bench, figure: name, value: wall.on, unit: "items/s", baseline: wall.off, ratio: wall.ratio, target });
  figure({ bench, figure: `${name}, per CPU-second`, value: cpu.on, unit: "items/cpu-s", baseline: cpu.off, ratio: cpu.ratio, target });
}

try {
  figures(`put (await ch.put), metrics on and scraped every ${SCRAPE_MS} ms vs off`, await onOff("put", putRate), "ratio >= 0.95");
  figures(`light pipeline (sense, prioritize, process, no-op actuator), metrics on and scraped every ${SCRAPE_MS} ms vs off`, await onOff("pipeline", pipelineRate), "ratio >= 0.95");
  // Where the cost is: the same with metrics served but never scraped (the per-item cost alone).
  figures("light pipeline, metrics on but not scraped vs off", await onOff("pipeline, unscraped", pipelineRate, "unscraped"), null);
  for (const [name, start] of [["put (await ch.put)", putLoad], ["light pipeline", (rt: Runtime) => lightPipeline(rt)]] as const) {
    const w = await scrapedVsUnscraped(name, start);
    figure({ bench, figure: `${name}, one runtime, 1 s windows scraped every ${SCRAPE_MS} ms vs unscraped, per CPU-second`, value: w.on, unit: "items/cpu-s", baseline: w.off, ratio: w.ratio, target: null });
  }
  figure({ bench, figure: "CPU per scrape of the light pipeline's runtime at rest", value: await scrapeCpu(), unit: "µs", baseline: null, target: null });
} finally {
  await scraper.close();
}

if (sink === -1) process.stderr.write("unreachable\n");
