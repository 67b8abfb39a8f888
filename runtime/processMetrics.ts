/**
 * Node's default process metrics — prom-client's `collectDefaultMetrics()` set, with its names,
 * types, labels, help texts and GC buckets — written straight to text, one set per process.
 *
 * Why not prom-client's collectors: they build a value object per series and hash and format
 * its labels, through an async chain per family, and hash labels again on every GC. This reads
 * the same sources (process.cpuUsage, /proc/self/status and /proc/self/fd, V8's heap
 * statistics, an event-loop delay monitor, GC performance entries) and writes straight to text
 * through runtime/exposition.ts. Measured once a second in a process running the light pipeline
 * of bench/metrics.bench.ts: about 1.45 ms of CPU a collection against prom-client's 2.2 ms.
 * Most of what is left is the reads: the delay monitor's mean, deviation and three percentiles
 * each walk its whole histogram (about 0.7 ms together), /proc about 0.4 ms.
 *
 * Guarantees:
 * - The families of prom-client's default metrics, same names, types and labels, so dashboards
 *   and queries written for prom-client keep working (test/runtime/metrics_test.ts compares the
 *   two). Values mean the same, except process_cpu_*_seconds_total, counted from the process's
 *   start (as Prometheus's other clients do) where prom-client counts from its collector's
 *   creation (rates are the same), and nodejs_gc_duration_seconds, which counts every GC where
 *   prom-client's observer keeps only the first entry of each batch it is handed.
 * - Nothing runs until the first `processMetricsText()`: it starts the GC observer and the
 *   event-loop delay monitor (a 10 ms timer), which then run for the life of the process.
 * - Collected at most once per PROCESS_METRICS_MS; calls in between get the same text.
 *   nodejs_eventloop_lag_seconds is the lag of a setImmediate posted by the previous collection
 *   (as prom-client reports it: the lag is only known after the collection).
 */
import { readdirSync, readFileSync } from "node:fs";
import { type IntervalHistogram, type NodeGCPerformanceDetail, type PerformanceEntry, PerformanceObserver, constants, monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import { type Samples, formatValue as v, histogramWriter, samplesWriter, singleSeriesStart as single } from "./exposition.ts";
import { LatencyHistogram } from "./latencyHistogram.ts";

/** The process metrics are collected at most this often; scrapes in between reuse them. */
export const PROCESS_METRICS_MS = 1000;

/** prom-client's buckets for nodejs_gc_duration_seconds. */
const GC_BUCKETS: readonly number[] = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

const procfs = process.platform === "linux";
/** Whole seconds, as prom-client reports it. */
const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
const maxFds = procfs ? readMaxFds() : undefined;
/** Undocumented but what prom-client reads: the handles and requests keeping the loop alive. */
const internals = process as unknown as { _getActiveHandles?: () => object[]; _getActiveRequests?: () => object[] };

// The families of one series without labels, in prom-client's order, each up to its value.
const CPU_USER = single("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", "counter");
const CPU_SYSTEM = single("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", "counter");
const CPU = single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter");
const START = `${single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge")}${startSeconds}\n`;
const RSS = single("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
const VSIZE = single("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
const DATA = single("process_heap_bytes", "Process heap size in bytes.", "gauge");
const OPEN_FDS = single("process_open_fds", "Number of open file descriptors.", "gauge");
const MAX_FDS = maxFds === undefined ? "" : `${single("process_max_fds", "Maximum number of open file descriptors.", "gauge")}${maxFds}\n`;
const LAG = single("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", "gauge");
const LAG_MIN = single("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", "gauge");
const LAG_MAX = single("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", "gauge");
const LAG_MEAN = single("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", "gauge");
const LAG_STDDEV = single("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.", "gauge");
const LAG_P50 = single("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", "gauge");
const LAG_P90 = single("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", "gauge");
const LAG_P99 = single("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", "gauge");
const RESOURCES_TOTAL = single("nodejs_active_resources_total", "Total number of active resources.", "gauge");
const HANDLES_TOTAL = single("nodejs_active_handles_total", "Total number of active handles.", "gauge");
const REQUESTS_TOTAL = single("nodejs_active_requests_total", "Total number of active requests.", "gauge");
const HEAP_TOTAL = single("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", "gauge");
const HEAP_USED = single("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", "gauge");
const EXTERNAL = single("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", "gauge");
const VERSION = (() => {
  const [major, minor, patch] = process.versions.node.split(".");
  return samplesWriter("nodejs_version_info", "Node.js version info.", "gauge")([[{ version: process.version, major, minor, patch }, 1]]);
})();

const resourcesWriter = samplesWriter("nodejs_active_resources", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.", "gauge");
const handlesWriter = samplesWriter("nodejs_active_handles", "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.", "gauge");
const requestsWriter = samplesWriter("nodejs_active_requests", "Number of active libuv requests grouped by request type. Every request type is C++ class name.", "gauge");
const spaceWriters = {
  total: samplesWriter("nodejs_heap_space_size_total_bytes", "Process heap space size total from Node.js in bytes.", "gauge"),
  used: samplesWriter("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes.", "gauge"),
  available: samplesWriter("nodejs_heap_space_size_available_bytes", "Process heap space size available from Node.js in bytes.", "gauge"),
};
const gcWriter = histogramWriter("nodejs_gc_duration_seconds", "Garbage collection duration by kind, one of major, minor, incremental or weakcb.");

function readMaxFds(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    return line === undefined ? undefined : Number(line.split(/  +/)[1]);
  } catch {
    return undefined;
  }
}

/** process_resident_memory_bytes, _virtual_memory_bytes and _heap_bytes, and process_open_fds; a family whose source cannot be read has no sample. */
function procMemoryAndFds(): string {
  let status = "";
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    // No sample then, rather than a made-up one.
  }
  const kb = (key: string) => {
    const at = status.indexOf(`\n${key}:`);
    return at < 0 ? "" : `${Number.parseInt(status.slice(at + key.length + 2, status.indexOf("\n", at + 1)), 10) * 1024}\n`;
  };
  let fds = "";
  try {
    // Less the descriptor readdirSync itself held open, as prom-client counts.
    fds = `${readdirSync("/proc/self/fd").length - 1}\n`;
  } catch {
    // As above.
  }
  return `${RSS}${kb("VmRSS")}${VSIZE}${kb("VmSize")}${DATA}${kb("VmData")}${OPEN_FDS}${fds}`;
}

/** The running part: the event-loop delay monitor, the GC histograms and the last lag measured. */
type Monitors = { delay: IntervalHistogram; gc: Map<string, LatencyHistogram>; lag: number };

function startMonitors(): Monitors {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc = new Map<string, LatencyHistogram>();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as PerformanceEntry & { detail: NodeGCPerformanceDetail }).detail.kind];
      if (kind === undefined) continue;
      let h = gc.get(kind);
      if (h === undefined) gc.set(kind, (h = new LatencyHistogram(GC_BUCKETS)));
      h.observe(entry.duration / 1000);
    }
  }).observe({ entryTypes: ["gc"] });
  return { delay, gc, lag: 0 };
}

function countBy(names: Iterable<string | undefined>): Samples {
  const counts = new Map<string, number>();
  for (const k of names) if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  return Array.from(counts, ([type, n]) => [{ type }, n] as const);
}

function constructorNames(list: readonly object[]): Iterable<string | undefined> {
  return list.map((x) => (x as { constructor?: { name: string } }).constructor?.name);
}

function collect(m: Monitors): string {
  const cpu = process.cpuUsage();
  const d = m.delay;
  const resources = process.getActiveResourcesInfo();
  const handles = internals._getActiveHandles?.() ?? [];
  const requests = internals._getActiveRequests?.() ?? [];
  const heap = v8.getHeapStatistics();
  const spaces = v8.getHeapSpaceStatistics();
  const space = (s: v8.HeapSpaceInfo) => ({ space: s.space_name.slice(0, s.space_name.indexOf("_space")) });
  return (
    `${CPU_USER}${cpu.user / 1e6}\n${CPU_SYSTEM}${cpu.system / 1e6}\n${CPU}${(cpu.user + cpu.system) / 1e6}\n${START}` +
    (procfs ? procMemoryAndFds() : `${RSS}${process.memoryUsage.rss()}\n`) +
    MAX_FDS +
    `${LAG}${m.lag}\n${LAG_MIN}${v(d.min / 1e9)}\n${LAG_MAX}${v(d.max / 1e9)}\n${LAG_MEAN}${v(d.mean / 1e9)}\n${LAG_STDDEV}${v(d.stddev / 1e9)}\n` +
    `${LAG_P50}${v(d.percentile(50) / 1e9)}\n${LAG_P90}${v(d.percentile(90) / 1e9)}\n${LAG_P99}${v(d.percentile(99) / 1e9)}\n` +
    `${resourcesWriter(countBy(resources))}${RESOURCES_TOTAL}${resources.length}\n` +
    `${handlesWriter(countBy(constructorNames(handles)))}${HANDLES_TOTAL}${handles.length}\n` +
    `${requestsWriter(countBy(constructorNames(requests)))}${REQUESTS_TOTAL}${requests.length}\n` +
    `${HEAP_TOTAL}${heap.total_heap_size}\n${HEAP_USED}${heap.used_heap_size}\n${EXTERNAL}${heap.external_memory}\n` +
    spaceWriters.total(spaces.map((s) => [space(s), s.space_size] as const)) +
    spaceWriters.used(spaces.map((s) => [space(s), s.space_used_size] as const)) +
    spaceWriters.available(spaces.map((s) => [space(s), s.space_available_size] as const)) +
    VERSION +
    gcWriter(Array.from(m.gc, ([kind, h]) => [{ kind }, h] as const))
  );
}

let monitors: Monitors | undefined;
let text = "";
let at = -Infinity;

/** The process metrics' text, collected now or at most PROCESS_METRICS_MS ago. */
export function processMetricsText(): string {
  const now = performance.now();
  if (monitors !== undefined && now - at < PROCESS_METRICS_MS) return text;
  const m = (monitors ??= startMonitors());
  at = now;
  text = collect(m);
  m.delay.reset();
  const posted = performance.now();
  setImmediate(() => (m.lag = (performance.now() - posted) / 1000));
  return text;
}
