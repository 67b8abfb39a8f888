import { createServer } from "node:net";
import { Counter, Registry, collectDefaultMetrics } from "prom-client";
import t from "tap";
import { LatencyHistogram, LogActuator, Metrics, MetricsServerError, Runtime, SyntheticSource, pipeline, runPipeline, type SyntheticReading } from "../../index.ts";
import { tempDir, until } from "../helpers.ts";
import { Writable } from "node:stream";

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  t.equal(res.status, 200);
  return res.text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test("metrics - /metrics, /healthz and /readyz on loopback, with channel and storage metrics", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const { url, host } = rt.metricsAddress!;
  t.equal(host, "127.0.0.1", "loopback by default");
  const ch = await rt.channel<number>("door sensor", { retain: { count: 2 } });
  for (let ts = 1; ts <= 3; ts++) await ch.put(ts, ts);
  const text = await scrape(url);
  t.equal(value(text, 'pts_channel_puts_total{channel="door sensor"}'), 3);
  t.equal(value(text, 'pts_channel_evicted_total{channel="door sensor"}'), 1);
  t.equal(value(text, 'pts_channel_items{channel="door sensor"}'), 2);
  t.match(text, /^process_cpu_user_seconds_total /m, "default process metrics are included");
  t.match(text, /# TYPE pts_channel_puts_total counter/);
  const base = url.replace(/\/metrics$/, "");
  t.equal((await fetch(`${base}/healthz`)).status, 200);
  t.equal((await fetch(`${base}/readyz`)).status, 200);
  t.equal((await fetch(`${base}/nope`)).status, 404);
  await rt.stop();
  await t.rejects(fetch(url), "the server is gone after stop");
});

t.test("metrics - a taken port is a clear error; metrics: false serves nothing", async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  await t.rejects(Runtime.start({ metrics: { port } }), MetricsServerError);
  const rt = await Runtime.start({ metrics: false });
  t.equal(rt.metrics, undefined);
  t.equal(rt.metricsAddress, undefined);
  await rt.stop();
});

t.test("metrics - pipeline stages, sensors, actuators and end-to-end latency", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const def = pipeline<SyntheticReading, SyntheticReading>({
    name: "warm",
    sense: { sources: (sink) => new SyntheticSource({ channel: sink, seed: 3, perSecond: 2000, count: 100 }) },
    prioritize: { capacity: 200 },
    process: { fn: async (item) => (item.value.value > 20 ? item.value : undefined) },
    actuate: { actuators: () => [new LogActuator<SyntheticReading>({ name: "quiet log", stream: quiet })] },
  });
  const running = await runPipeline(rt, def);
  await until(() => running.stats().stages.process.in >= 100 && running.stats().stages.actuate.ok === running.stats().stages.process.out, "100 readings processed and acted on");
  const text = await scrape(rt.metricsAddress!.url);
  const s = running.stats().stages;
  await running.stop();
  t.equal(value(text, 'pts_stage_items_in_total{pipeline="warm",stage="process"}'), s.process.in);
  t.equal(value(text, 'pts_stage_items_out_total{pipeline="warm",stage="process"}'), s.process.out);
  t.equal(value(text, 'pts_stage_dropped_total{pipeline="warm",stage="prioritize",reason="stale"}'), 0, "zero drops are exported, not missing");
  t.equal(value(text, 'pts_sensor_items_total{sensor="synthetic"}'), 100);
  t.equal(value(text, 'pts_actuator_outcomes_total{actuator="quiet log",outcome="ok"}'), s.actuate.ok);
  t.equal(value(text, 'pts_end_to_end_latency_seconds_count{pipeline="warm"}'), s.actuate.in, "one latency observation per action");
  t.equal(value(text, 'pts_stage_duration_seconds_count{pipeline="warm",stage="process"}'), s.process.in);
  const actuator = 'actuator="quiet log"';
  t.equal(value(text, `pts_actuator_latency_seconds_count{${actuator}}`), s.actuate.in, "one actuator latency observation per item handled");
  t.equal(value(text, `pts_actuator_latency_seconds_bucket{le="+Inf",${actuator}}`), s.actuate.in, "the +Inf bucket holds every observation");
  t.ok(value(text, `pts_actuator_latency_seconds_sum{${actuator}}`)! >= 0);
});

t.test("metrics - channel gets: every get() and next() on a handle counts once", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<number>("gate", { retain: { count: 10 } });
  for (let ts = 1; ts <= 3; ts++) await ch.put(ts, ts);
  let text = await scrape(rt.metricsAddress!.url);
  t.equal(value(text, 'pts_channel_gets_total{channel="gate"}'), 0, "no gets yet: exported as 0");
  await ch.get(1);
  await ch.get("newest");
  await ch.get(1, 3);
  text = await scrape(rt.metricsAddress!.url);
  t.equal(value(text, 'pts_channel_gets_total{channel="gate"}'), 3, "after 3 gets the counter is 3");
  const other = await rt.lookup<number>("gate", { from: "oldest" });
  await other.get();
  await other.next(1);
  text = await scrape(rt.metricsAddress!.url);
  t.equal(value(text, 'pts_channel_gets_total{channel="gate"}'), 5, "gets through every handle of the channel count");
  t.notMatch(text, /pts_channel_put_latency_seconds_count\{channel="gate"\}/, "memory channels resolve puts at once: no put latency series");
});

t.test("metrics - put latency of a persist sync channel: one observation per put after the first scrape, cumulative buckets", async (t) => {
  const rt = await Runtime.start({ dataDir: await tempDir(t), metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<string>("ledger", { persist: { mode: "sync" } });
  await ch.put("before", 1);
  let text = await scrape(rt.metricsAddress!.url);
  t.equal(value(text, 'pts_channel_put_latency_seconds_count{channel="ledger"}'), 0, "timing starts at the first scrape: nothing is timed that nobody reads");
  await ch.put("a", 2);
  await ch.put("b", 3);
  await t.rejects(ch.put("c", 3), "a refused put is not a latency");
  text = await scrape(rt.metricsAddress!.url);
  t.match(text, /# TYPE pts_channel_put_latency_seconds histogram/);
  t.equal(value(text, 'pts_channel_put_latency_seconds_count{channel="ledger"}'), 2);
  t.equal(value(text, 'pts_channel_put_latency_seconds_bucket{le="+Inf",channel="ledger"}'), 2);
  const buckets = [...text.matchAll(/^pts_channel_put_latency_seconds_bucket\{le="([^"]+)",channel="ledger"\} (\S+)$/gm)].map((x) => Number(x[2]));
  t.equal(buckets.length, 16, "15 bounds and +Inf");
  t.same(buckets, [...buckets].sort((a, b) => a - b), "buckets are cumulative");
  t.ok(value(text, 'pts_channel_put_latency_seconds_sum{channel="ledger"}')! > 0, "a durable put takes time");
  const fsyncs = value(text, "pts_lrvm_fsync_duration_seconds_count")!;
  t.ok(fsyncs >= 3, `each of the three durable puts waited for an fdatasync (${fsyncs} counted)`);
  t.equal(value(text, 'pts_lrvm_fsync_duration_seconds_bucket{le="+Inf"}'), fsyncs, "the +Inf bucket holds every fdatasync");
  t.ok(value(text, 'pts_lrvm_fsync_duration_seconds_bucket{le="0.00005"}')! <= fsyncs);
});

t.test("metrics - an application's own metrics on rt.metrics.registry are served beside PTS's", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const alarms = new Counter({ name: "app_alarms_total", help: "Alarms raised.", labelNames: ["zone"], registers: [rt.metrics!.registry] });
  alarms.inc({ zone: "north" }, 2);
  const ch = await rt.channel<number>("zone north");
  await ch.put(1, 1);
  const text = await scrape(rt.metricsAddress!.url);
  t.equal(value(text, 'app_alarms_total{zone="north"}'), 2);
  t.match(text, /# TYPE app_alarms_total counter/);
  t.equal(value(text, 'pts_channel_puts_total{channel="zone north"}'), 1);
  t.equal(text.match(/^# TYPE pts_channel_puts_total /gm)?.length, 1, "PTS's own families are served once");
});

t.test("metrics - sync puts made in one go share one LRVM commit", async (t) => {
  const rt = await Runtime.start({ dataDir: await tempDir(t), metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<number>("gauge", { persist: { mode: "sync" } });
  await ch.put(0, 1);
  const commits = async () => value(await scrape(rt.metricsAddress!.url), 'pts_lrvm_commits_total{mode="flush"}')!;
  const before = await commits();
  await Promise.all(Array.from({ length: 16 }, (_, k) => ch.put(k, k + 2)));
  t.equal((await commits()) - before, 1, "16 puts of one tick, one commit");
});

t.test("metrics - the text served for PTS's families is what prom-client writes for the same values", async (t) => {
  const m = new Metrics();
  const fast = new LatencyHistogram();
  for (const s of [0.0001, 0.003, 0.003, 0.2, 99]) fast.observe(s);
  m.counter("x_puts_total", "Puts, with a back\\slash\nand a newline in the help.", ["channel"], () => [
    [{ channel: "plain" }, 3],
    [{ channel: 'quote " back \\ slash \n newline' }, 1.5],
  ]);
  m.gauge("x_connected", "No labels.", [], () => [[{}, 1]]);
  m.gauge("x_empty", "No samples at all.", ["channel"], () => []);
  m.histogram("x_latency_seconds", "A distribution.", ["pipeline"], () => [
    [{ pipeline: "a" }, fast],
    [{ pipeline: "b" }, new LatencyHistogram()],
  ]);
  const ours = (text: string) => text.split("\n").filter((l) => /^(# (HELP|TYPE) )?x_/.test(l));
  const served = ours(await m.text());
  t.ok(served.length > 40, "every family and series is there");
  t.same(served, ours(await m.registry.metrics()));
  t.ok(served.includes('x_latency_seconds_bucket{le="0.005",pipeline="a"} 3'), "buckets are cumulative, le first");
  t.ok(served.includes('x_latency_seconds_bucket{le="+Inf",pipeline="a"} 5'));
  t.ok(served.includes('x_latency_seconds_count{pipeline="a"} 5'));
});

t.test("metrics - the default process metrics are prom-client's: same families, help, types and labels", async (t) => {
  const theirs = new Registry();
  collectDefaultMetrics({ register: theirs });
  await theirs.metrics();
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  // Both GC observers must have seen a collection, so that both write nodejs_gc_duration_seconds series.
  // Ours are collected at most once a second: scrape until they show one.
  const garbage: number[][] = [];
  const seen = (text: string) => /^nodejs_gc_duration_seconds_count/m.test(text);
  let ours = "";
  for (let tries = 0; !(seen(ours) && seen(await theirs.metrics())); tries++) {
    if (tries === 100) throw new Error("no GC seen by both observers after 100 tries");
    for (let i = 0; i < 200; i++) garbage[i % 8] = new Array<number>(10_000).fill(i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    ours = await scrape(rt.metricsAddress!.url);
  }
  // Each line with its values blanked: the header lines whole, each series as its name and label names.
  const shape = (text: string) => [...new Set(text.split("\n").filter((l) => /^(# (HELP|TYPE) )?(process|nodejs)_/.test(l)).map((l) => (l.startsWith("#") ? l : l.replace(/ \S+$/, "").replace(/="(?:[^"\\]|\\.)*"/g, '=""'))))].sort();
  const expected = shape(await theirs.metrics());
  t.ok(expected.length > 60, "prom-client writes its families");
  t.same(shape(ours), expected);
  t.ok(value(ours, "process_resident_memory_bytes")! > 1e6, "resident memory is read");
  t.ok(value(ours, "nodejs_heap_size_used_bytes")! > 1e6, "heap use is read");
  t.ok(value(ours, "process_cpu_seconds_total")! > 0, "CPU time is read");
});
