/**
 * Node's default process metrics — prom-client's `collectDefaultMetrics()` set, with its names,
 * types, labels, help texts and GC buckets — written straight to text, one set per process.
 *
 * Why not prom-client's collectors: at the rate Prometheus scrapes, their code never gets warm,
 * and one collection of them cost about 10 ms of CPU in a running pipeline (the 50k items/s
 * light pipeline of bench/metrics.bench.ts lost 7% to scrapes every 100 ms); this reads the same
 * sources (process.cpuUsage, /proc/self/status and /proc/self/fd, V8's heap statistics, an
 * event-loop delay monitor, GC performance entries) and writes through runtime/exposition.ts.
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
import { type Labels, type Samples, histogramWriter, samplesWriter } from "./exposition.ts";
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

/** Writes one family's text, header included. */
type Family = () => string;

function gauge(name: string, help: string, read: () => Samples): Family {
  const write = samplesWriter(name, help, "gauge");
  return () => write(read());
}

function counter(name: string, help: string, read: () => Samples): Family {
  const write = samplesWriter(name, help, "counter");
  return () => write(read());
}

const none: Labels = {};
const one = (value: number): Samples => [[none, value]];
const byType = (counts: Map<string, number>): Samples => Array.from(counts, ([type, n]) => [{ type }, n] as const);

function countBy<T>(list: readonly T[], key: (x: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const x of list) {
    const k = key(x);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The values one collection reads, shared by the families that show them. */
type Reading = {
  cpu: NodeJS.CpuUsage;
  status: { rss: number; vsize: number; data: number } | undefined;
  openFds: number | undefined;
  heap: v8.HeapInfo;
  spaces: { space: string; total: number; used: number; available: number }[];
  resources: string[];
  handles: Map<string, number>;
  handleCount: number;
  requests: Map<string, number>;
  requestCount: number;
};

const procfs = process.platform === "linux";
/** Whole seconds, as prom-client reports it. */
const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
const maxFds = procfs ? readMaxFds() : undefined;
const [major, minor, patch] = process.versions.node.split(".");
/** Undocumented but what prom-client reads: the handles and requests keeping the loop alive. */
const internals = process as unknown as { _getActiveHandles?: () => object[]; _getActiveRequests?: () => object[] };

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

/** VmRSS, VmSize and VmData (kB in the file) in bytes. */
function readStatus(): Reading["status"] {
  if (!procfs) return undefined;
  try {
    const text = readFileSync("/proc/self/status", "utf8");
    const kb = (key: string) => {
      const at = text.indexOf(`\n${key}:`);
      return at < 0 ? NaN : Number.parseInt(text.slice(at + key.length + 2, text.indexOf("\n", at + 1)).trim(), 10) * 1024;
    };
    return { rss: kb("VmRSS"), vsize: kb("VmSize"), data: kb("VmData") };
  } catch {
    return undefined;
  }
}

function readOpenFds(): number | undefined {
  if (!procfs) return undefined;
  try {
    // Less the descriptor readdirSync itself held open, as prom-client counts.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

function read(): Reading {
  const handles = internals._getActiveHandles?.() ?? [];
  const requests = internals._getActiveRequests?.() ?? [];
  const constructorName = (x: object) => (x as { constructor?: { name: string } }).constructor?.name;
  return {
    cpu: process.cpuUsage(),
    status: readStatus(),
    openFds: readOpenFds(),
    heap: v8.getHeapStatistics(),
    spaces: v8.getHeapSpaceStatistics().map((s) => ({ space: s.space_name.slice(0, s.space_name.indexOf("_space")), total: s.space_size, used: s.space_used_size, available: s.space_available_size })),
    resources: process.getActiveResourcesInfo(),
    handles: countBy(handles, constructorName),
    handleCount: handles.length,
    requests: countBy(requests, constructorName),
    requestCount: requests.length,
  };
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

function families(m: Monitors, r: () => Reading): Family[] {
  const ns = (x: number) => [[none, x / 1e9]] as Samples;
  const status = (pick: (s: NonNullable<Reading["status"]>) => number) => () => {
    const s = r().status;
    return s === undefined ? [] : one(pick(s));
  };
  const gcWrite = histogramWriter("nodejs_gc_duration_seconds", "Garbage collection duration by kind, one of major, minor, incremental or weakcb.");
  const list: (Family | undefined)[] = [
    counter("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", () => one(r().cpu.user / 1e6)),
    counter("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", () => one(r().cpu.system / 1e6)),
    counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", () => one((r().cpu.user + r().cpu.system) / 1e6)),
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => one(startSeconds)),
    procfs
      ? gauge("process_resident_memory_bytes", "Resident memory size in bytes.", status((s) => s.rss))
      : gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => one(process.memoryUsage.rss())),
    procfs ? gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", status((s) => s.vsize)) : undefined,
    procfs ? gauge("process_heap_bytes", "Process heap size in bytes.", status((s) => s.data)) : undefined,
    procfs ? gauge("process_open_fds", "Number of open file descriptors.", () => (r().openFds === undefined ? [] : one(r().openFds!))) : undefined,
    maxFds === undefined ? undefined : gauge("process_max_fds", "Maximum number of open file descriptors.", () => one(maxFds)),
    gauge("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", () => one(m.lag)),
    gauge("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", () => ns(m.delay.min)),
    gauge("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", () => ns(m.delay.max)),
    gauge("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", () => ns(m.delay.mean)),
    gauge("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.", () => ns(m.delay.stddev)),
    gauge("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", () => ns(m.delay.percentile(50))),
    gauge("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", () => ns(m.delay.percentile(90))),
    gauge("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", () => ns(m.delay.percentile(99))),
    gauge("nodejs_active_resources", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.", () => byType(countBy(r().resources, (x) => x))),
    gauge("nodejs_active_resources_total", "Total number of active resources.", () => one(r().resources.length)),
    gauge("nodejs_active_handles", "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.", () => byType(r().handles)),
    gauge("nodejs_active_handles_total", "Total number of active handles.", () => one(r().handleCount)),
    gauge("nodejs_active_requests", "Number of active libuv requests grouped by request type. Every request type is C++ class name.", () => byType(r().requests)),
    gauge("nodejs_active_requests_total", "Total number of active requests.", () => one(r().requestCount)),
    gauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", () => one(r().heap.total_heap_size)),
    gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", () => one(r().heap.used_heap_size)),
    gauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", () => one(r().heap.external_memory)),
    gauge("nodejs_heap_space_size_total_bytes", "Process heap space size total from Node.js in bytes.", () => r().spaces.map((s) => [{ space: s.space }, s.total] as const)),
    gauge("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes.", () => r().spaces.map((s) => [{ space: s.space }, s.used] as const)),
    gauge("nodejs_heap_space_size_available_bytes", "Process heap space size available from Node.js in bytes.", () => r().spaces.map((s) => [{ space: s.space }, s.available] as const)),
    gauge("nodejs_version_info", "Node.js version info.", () => [[{ version: process.version, major, minor, patch }, 1]]),
    () => gcWrite(Array.from(m.gc, ([kind, h]) => [{ kind }, h] as const)),
  ];
  return list.filter((f): f is Family => f !== undefined);
}

let monitors: Monitors | undefined;
let written: Family[] = [];
let reading: Reading | undefined;
let text = "";
let at = -Infinity;

/** The process metrics' text, collected now or at most PROCESS_METRICS_MS ago. */
export function processMetricsText(): string {
  const now = performance.now();
  if (monitors !== undefined && now - at < PROCESS_METRICS_MS) return text;
  if (monitors === undefined) {
    const m = (monitors = startMonitors());
    written = families(m, () => (reading ??= read()));
  }
  const m = monitors;
  at = now;
  reading = undefined;
  let out = "";
  for (const write of written) out += write();
  reading = undefined;
  m.delay.reset();
  const posted = performance.now();
  setImmediate(() => (m.lag = (performance.now() - posted) / 1000));
  text = out;
  return text;
}
