// /api/pipelines: the live view's pipeline counters, drops and latency percentiles.
import { Writable } from "node:stream";
import t from "tap";
import { LogActuator, Runtime, SyntheticSource, pipeline, runPipeline, type SyntheticReading } from "../../index.ts";
import { type LivePipeline, bucketQuantile, liveViewPipelines } from "../../pipelines/liveViewPipelines.ts";
import { until } from "../helpers.ts";

t.test("live view pipelines - bucketQuantile interpolates like histogram_quantile", async (t) => {
  t.equal(bucketQuantile(0.5, []), null, "no buckets: no value");
  t.equal(bucketQuantile(0.5, [[1, 0], [Infinity, 0]]), null, "no observations: no value");
  t.equal(bucketQuantile(0.5, [[1, 10], [2, 20], [Infinity, 20]]), 1, "the median at a bucket's edge");
  t.equal(bucketQuantile(0.25, [[1, 10], [2, 20], [Infinity, 20]]), 0.5, "linear within the first bucket, from 0");
  t.equal(bucketQuantile(0.75, [[2, 20], [1, 10], [Infinity, 20]]), 1.5, "buckets in any order");
  t.equal(bucketQuantile(0.99, [[1, 10], [Infinity, 20]]), 1, "in the +Inf bucket: the largest finite bound");
});

t.test("live view pipelines - stage counters, drops, errors and latency of a running pipeline", async (t) => {
  const rt = await Runtime.start({ metrics: { port: 0 } });
  t.teardown(() => rt.stop());
  liveViewPipelines(rt.metrics!);
  liveViewPipelines(rt.metrics!);
  const base = rt.metricsAddress!.url.replace(/\/metrics$/, "");
  const read = async () => (await (await fetch(`${base}/api/pipelines`)).json()) as { now: number; pipelines: LivePipeline[] };
  t.same((await read()).pipelines, [], "none before a pipeline runs");

  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const running = await runPipeline(
    rt,
    pipeline<SyntheticReading, SyntheticReading>({
      name: "warm",
      sense: { sources: (sink) => new SyntheticSource({ channel: sink, seed: 3, perSecond: 2000, count: 100 }) },
      prioritize: { capacity: 200 },
      process: {
        fn: async (item) => {
          if (item.value.seq % 25 === 24) throw new Error("a bad reading");
          return item.value.value > 20 ? item.value : undefined;
        },
      },
      actuate: { actuators: () => [new LogActuator<SyntheticReading>({ name: "quiet log", stream: quiet })] },
    }),
  );
  t.teardown(() => running.stop());
  await until(() => running.stats().stages.process.in >= 100 && running.stats().stages.actuate.in === running.stats().stages.process.out, "100 readings through", 60_000, () => running.stats().stages);
  const s = running.stats().stages;
  const [p] = (await read()).pipelines;
  t.equal(p.name, "warm");
  t.same(p.stages.sense, { in: s.sense.out, out: s.sense.out });
  t.same(p.stages.prioritize, { in: s.prioritize.in, out: s.prioritize.out });
  t.same(p.stages.process, { in: s.process.in, out: s.process.out });
  t.same(p.stages.actuate, { in: s.actuate.in, out: s.actuate.ok });
  t.same(p.dropped, { stale: 0, shed: 0 });
  t.equal(p.errors["process error"], s.process.errors, "failed items, by reason");
  t.ok(s.process.errors >= 4, "the bad readings failed");
  t.equal(p.queueDepth, s.prioritize.depth);
  t.ok(p.process.count > 0 && p.process.p50 !== null && p.process.p99! >= p.process.p50!, "process p50 <= p99");
  t.ok(p.endToEnd.count > 0 && p.endToEnd.p50 !== null && p.endToEnd.p99! >= p.endToEnd.p50!, "end-to-end p50 <= p99");
});
