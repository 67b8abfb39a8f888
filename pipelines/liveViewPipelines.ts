/**
 * The live view's pipelines: `GET /api/pipelines` on a runtime's metrics server, the JSON the
 * live view page (channels/liveView.ts) polls to show each running pipeline's stage counters
 * (the page turns them into rates between polls), drops by reason, errors, queue depth and
 * latency p50/p99.
 *
 * It reads the metrics every pipeline already registers with its runtime
 * (pipelines/pipelineMetrics.ts), the way a scrape does, so it needs no list of its own and
 * costs nothing until the page asks. Percentiles come from the latency histograms since the
 * pipeline started, interpolated within buckets the way PromQL's histogram_quantile does.
 *
 * @example
 *   liveViewPipelines(rt.metrics!);   // idempotent; then GET /api/pipelines
 */
import type { Metrics } from "../runtime/index.ts";

export type LiveLatency = { count: number; p50: number | null; p99: number | null };

/** One pipeline as /api/pipelines shows it; latencies in seconds. */
export type LivePipeline = {
  name: string;
  /** Items in and out of each stage since the pipeline started (out: events for process, successful actions for actuate). */
  stages: Record<"sense" | "prioritize" | "process" | "actuate", { in: number; out: number }>;
  dropped: Record<string, number>;
  errors: Record<string, number>;
  queueDepth: number;
  /** Time the process stage spent on an item. */
  process: LiveLatency;
  /** From the sensor's timestamp to the action. */
  endToEnd: LiveLatency;
};

type Value = { value: number; labels: Partial<Record<string, string | number>>; metricName?: string };

const served = new WeakSet<Metrics>();

async function values(m: Metrics, name: string): Promise<Value[]> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as Value[];
}

/** The q-quantile of a cumulative histogram's buckets (upper bound → count), as histogram_quantile computes it. */
export function bucketQuantile(q: number, buckets: readonly (readonly [number, number])[]): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / Math.max(count - lowerCount, 1e-12);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

function latency(hist: Value[], match: (labels: Value["labels"]) => boolean): LiveLatency {
  const buckets: [number, number][] = [];
  let count = 0;
  for (const v of hist) {
    if (!match(v.labels)) continue;
    if (v.metricName?.endsWith("_bucket")) buckets.push([v.labels.le === "+Inf" ? Infinity : Number(v.labels.le), v.value]);
    else if (v.metricName?.endsWith("_count")) count = v.value;
  }
  return { count, p50: bucketQuantile(0.5, buckets), p99: bucketQuantile(0.99, buckets) };
}

/** What /api/pipelines answers: the time it was read (µs) and the pipelines, by name. */
export async function livePipelines(m: Metrics): Promise<{ now: number; pipelines: LivePipeline[] }> {
  const [ins, outs, dropped, errors, depth, duration, endToEnd] = await Promise.all(
    ["pts_stage_items_in_total", "pts_stage_items_out_total", "pts_stage_dropped_total", "pts_stage_errors_total", "pts_stage_queue_depth", "pts_stage_duration_seconds", "pts_end_to_end_latency_seconds"].map((n) => values(m, n)),
  );
  const byName = new Map<string, LivePipeline>();
  const get = (name: string): LivePipeline => {
    let p = byName.get(name);
    if (!p) {
      p = {
        name,
        stages: { sense: { in: 0, out: 0 }, prioritize: { in: 0, out: 0 }, process: { in: 0, out: 0 }, actuate: { in: 0, out: 0 } },
        dropped: {},
        errors: {},
        queueDepth: 0,
        process: { count: 0, p50: null, p99: null },
        endToEnd: { count: 0, p50: null, p99: null },
      };
      byName.set(name, p);
    }
    return p;
  };
  const stage = (v: Value) => v.labels.stage as keyof LivePipeline["stages"];
  for (const v of ins) {
    const s = get(String(v.labels.pipeline)).stages[stage(v)];
    if (s) s.in = v.value;
  }
  for (const v of outs) {
    const s = get(String(v.labels.pipeline)).stages[stage(v)];
    if (s) s.out = v.value;
  }
  for (const v of dropped) {
    const p = get(String(v.labels.pipeline));
    const reason = String(v.labels.reason);
    p.dropped[reason] = (p.dropped[reason] ?? 0) + v.value;
  }
  for (const v of errors) {
    const p = get(String(v.labels.pipeline));
    const key = `${String(v.labels.stage)} ${String(v.labels.reason)}`;
    p.errors[key] = (p.errors[key] ?? 0) + v.value;
  }
  for (const v of depth) get(String(v.labels.pipeline)).queueDepth += v.value;
  for (const p of byName.values()) {
    p.process = latency(duration, (l) => l.pipeline === p.name && l.stage === "process");
    p.endToEnd = latency(endToEnd, (l) => l.pipeline === p.name);
  }
  return { now: Date.now() * 1000, pipelines: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Serves GET /api/pipelines on the runtime's metrics server; a no-op when it already does. */
export function liveViewPipelines(m: Metrics): void {
  if (served.has(m)) return;
  served.add(m);
  m.route("/api/pipelines", async (_req, res) => {
    const body = JSON.stringify(await livePipelines(m));
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  });
}
