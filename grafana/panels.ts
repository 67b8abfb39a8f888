/**
 * The metrics PTS exports and the Grafana panels built on them: one list that the dashboard
 * generator (grafana/dashboards.ts) and the Prometheus test (test/grafana/prometheus_test.ts)
 * both read, so that a dashboard cannot query a metric the runtime does not export.
 *
 * `METRICS` names every metric family the runtime registers (runtime/metrics.ts,
 * channels/runtimeMetrics.ts, pipelines/pipelineMetrics.ts) plus the few prom-client default
 * process metrics the overview shows. The test scrapes a running demo and checks that each
 * `pts_` family it serves is listed here and each listed one is served. Panels name metrics
 * through `m()`, which refuses a name not in the list.
 *
 * @example
 *   const puts = `sum by (channel) (rate(${m("pts_channel_puts_total")}[$__rate_interval]))`;
 */

export type MetricType = "counter" | "gauge" | "histogram";
export type MetricDef = { name: string; type: MetricType; labels: readonly string[] };

export const METRICS = [
  // channels (channels/runtimeMetrics.ts)
  { name: "pts_channel_puts_total", type: "counter", labels: ["channel"] },
  { name: "pts_channel_gets_total", type: "counter", labels: ["channel"] },
  { name: "pts_channel_put_latency_seconds", type: "histogram", labels: ["channel"] },
  { name: "pts_channel_evicted_total", type: "counter", labels: ["channel"] },
  { name: "pts_channel_items", type: "gauge", labels: ["channel"] },
  { name: "pts_channel_window_bytes", type: "gauge", labels: ["channel"] },
  { name: "pts_channel_stored_items", type: "gauge", labels: ["channel"] },
  { name: "pts_channel_stored_bytes", type: "gauge", labels: ["channel"] },
  { name: "pts_channel_corrupt_records_total", type: "counter", labels: ["channel"] },
  { name: "pts_channel_newest_timestamp_seconds", type: "gauge", labels: ["channel"] },
  { name: "pts_channel_waiters", type: "gauge", labels: ["channel"] },
  // storage (LRVM, only with a dataDir)
  { name: "pts_lrvm_commits_total", type: "counter", labels: ["mode"] },
  { name: "pts_lrvm_fsync_duration_seconds", type: "histogram", labels: [] },
  { name: "pts_lrvm_log_written_bytes_total", type: "counter", labels: [] },
  { name: "pts_lrvm_log_bytes", type: "gauge", labels: [] },
  { name: "pts_lrvm_truncations_total", type: "counter", labels: [] },
  { name: "pts_lrvm_recovery_seconds", type: "gauge", labels: [] },
  { name: "pts_lrvm_recovered_records", type: "gauge", labels: [] },
  // NATS (only with a transport)
  { name: "pts_nats_connected", type: "gauge", labels: [] },
  { name: "pts_nats_request_duration_seconds", type: "histogram", labels: [] },
  // pipelines (pipelines/pipelineMetrics.ts)
  { name: "pts_stage_items_in_total", type: "counter", labels: ["pipeline", "stage"] },
  { name: "pts_stage_items_out_total", type: "counter", labels: ["pipeline", "stage"] },
  { name: "pts_stage_dropped_total", type: "counter", labels: ["pipeline", "stage", "reason"] },
  { name: "pts_stage_errors_total", type: "counter", labels: ["pipeline", "stage", "reason"] },
  { name: "pts_stage_queue_depth", type: "gauge", labels: ["pipeline", "stage"] },
  { name: "pts_stage_duration_seconds", type: "histogram", labels: ["pipeline", "stage"] },
  { name: "pts_end_to_end_latency_seconds", type: "histogram", labels: ["pipeline"] },
  // sensors and actuators
  { name: "pts_sensor_items_total", type: "counter", labels: ["sensor"] },
  { name: "pts_sensor_bytes_total", type: "counter", labels: ["sensor"] },
  { name: "pts_sensor_errors_total", type: "counter", labels: ["sensor", "reason"] },
  { name: "pts_sensor_reconnects_total", type: "counter", labels: ["sensor"] },
  { name: "pts_actuator_outcomes_total", type: "counter", labels: ["actuator", "outcome"] },
  { name: "pts_actuator_latency_seconds", type: "histogram", labels: ["actuator"] },
  { name: "pts_actuator_retries_total", type: "counter", labels: ["actuator"] },
  // prom-client default metrics shown on the overview
  { name: "process_cpu_seconds_total", type: "counter", labels: [] },
  { name: "process_resident_memory_bytes", type: "gauge", labels: [] },
  { name: "nodejs_eventloop_lag_p99_seconds", type: "gauge", labels: [] },
  { name: "nodejs_heap_size_used_bytes", type: "gauge", labels: [] },
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof METRICS)[number]["name"];
type HistogramName = Extract<(typeof METRICS)[number], { type: "histogram" }>["name"];

const known = new Set<string>(METRICS.map((d) => d.name));

/** A metric's name, checked against METRICS (at compile time, and at run time for safety). */
export function m(name: MetricName): string {
  if (!known.has(name)) throw new Error(`grafana/panels.ts: ${name} is not a metric the runtime exports (add it to METRICS first)`);
  return name;
}

/** A histogram's series name (`_bucket`, `_sum` or `_count`). */
export function h(name: HistogramName, series: "bucket" | "sum" | "count"): string {
  return `${m(name)}_${series}`;
}

/** The metric family a series name in a query belongs to (histogram suffixes removed). */
export function familyOf(series: string): string | undefined {
  if (known.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  const def = METRICS.find((d) => d.name === base);
  return def?.type === "histogram" ? base : undefined;
}

export type Unit = "short" | "ops" | "s" | "bytes" | "Bps" | "percentunit" | "none";
export type Target = { expr: string; legend: string };
export type PanelDef = { title: string; description: string; kind: "timeseries" | "stat"; unit: Unit; targets: Target[]; width?: number };
export type DashboardDef = { uid: string; file: string; title: string; description: string; panels: PanelDef[] };

const RI = "$__rate_interval";
const rate = (name: string, by: string) => `sum by (${by}) (rate(${name}[${RI}]))`;
const increase = (name: string, by: string) => `sum by (${by}) (increase(${name}[${RI}]))`;
const quantile = (q: number, name: HistogramName, by: string) => `histogram_quantile(${q}, sum by (le, ${by}) (rate(${h(name, "bucket")}[${RI}])))`;

/** A latency panel: the histogram's quantiles qs over the interval, one line per quantile and group. */
function quantiles(title: string, description: string, name: HistogramName, by: string, qs: readonly number[]): PanelDef {
  const legend = by
    .split(", ")
    .map((label) => `{{${label}}}`)
    .join(" ");
  return { title, description, kind: "timeseries", unit: "s", targets: qs.map((q) => ({ expr: quantile(q, name, by), legend: `${legend} p${Math.round(q * 100)}` })) };
}

const overview: DashboardDef = {
  uid: "pts-overview",
  file: "overview.json",
  title: "PTS overview",
  description: "Pipelines: throughput by stage, end-to-end latency, drops, errors and queue depth; the process.",
  panels: [
    { title: "Throughput by stage", description: "Items each stage passed on per second (events for process, successful actions for actuate).", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_stage_items_out_total"), "pipeline, stage"), legend: "{{pipeline}} {{stage}}" }] },
    { title: "Input by stage", description: "Items entering each stage per second.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_stage_items_in_total"), "pipeline, stage"), legend: "{{pipeline}} {{stage}}" }] },
    quantiles("End-to-end latency", "From the sensor's timestamp to the action: p50, p95, p99.", "pts_end_to_end_latency_seconds", "pipeline", [0.5, 0.95, 0.99]),
    quantiles("Process duration", "Time the process stage spends on an item: p50 and p99.", "pts_stage_duration_seconds", "pipeline, stage", [0.5, 0.99]),
    { title: "Drops by reason", description: "Items dropped per second: stale (past their deadline) or shed (queue full).", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_stage_dropped_total"), "pipeline, stage, reason"), legend: "{{pipeline}} {{stage}} {{reason}}" }] },
    { title: "Stage errors by reason", description: "Items a stage failed on per second (timeouts included), and failed actions.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_stage_errors_total"), "pipeline, stage, reason"), legend: "{{pipeline}} {{stage}} {{reason}}" }] },
    { title: "Queue depth", description: "Items waiting in the prioritize queue.", kind: "timeseries", unit: "short", targets: [{ expr: `sum by (pipeline, stage) (${m("pts_stage_queue_depth")})`, legend: "{{pipeline}} {{stage}}" }] },
    { title: "NATS connected", description: "1 while connected to NATS, 0 while disconnected (only runtimes on NATS).", kind: "stat", unit: "none", targets: [{ expr: `min(${m("pts_nats_connected")})`, legend: "connected" }] },
    quantiles("NATS request latency", "Requests to channel hosts until their answer (waits of remote get()/next() included), p50 and p99.", "pts_nats_request_duration_seconds", "instance", [0.5, 0.99]),
    { title: "CPU", description: "CPU time used by the PTS process, per second.", kind: "timeseries", unit: "percentunit", targets: [{ expr: `rate(${m("process_cpu_seconds_total")}[${RI}])`, legend: "{{instance}}" }] },
    {
      title: "Memory",
      description: "Resident memory and used heap.",
      kind: "timeseries",
      unit: "bytes",
      targets: [
        { expr: m("process_resident_memory_bytes"), legend: "{{instance}} resident" },
        { expr: `sum by (instance) (${m("nodejs_heap_size_used_bytes")})`, legend: "{{instance}} heap used" },
      ],
    },
    { title: "Event loop lag p99", description: "The event loop's lag, p99 (prom-client's monitor).", kind: "timeseries", unit: "s", targets: [{ expr: m("nodejs_eventloop_lag_p99_seconds"), legend: "{{instance}}" }] },
  ],
};

const channels: DashboardDef = {
  uid: "pts-channels",
  file: "channels.json",
  title: "PTS channels",
  description: "Channels: puts, gets, put latency, evictions, items, bytes, newest-item age, waiters.",
  panels: [
    { title: "Puts", description: "Items put per second.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_channel_puts_total"), "channel"), legend: "{{channel}}" }] },
    { title: "Gets", description: "Reads answered per second where the channel is hosted: get() and next() on local handles, and get requests from remote handles.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_channel_gets_total"), "channel"), legend: "{{channel}}" }] },
    quantiles("Put latency", "From put() to its resolution, p50 and p99, for channels whose puts wait for the disk (persist sync).", "pts_channel_put_latency_seconds", "channel", [0.5, 0.99]),
    { title: "Evictions", description: "Items leaving the live window per second (retention).", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_channel_evicted_total"), "channel"), legend: "{{channel}}" }] },
    { title: "Items in the live window", description: "Items each channel holds in memory.", kind: "timeseries", unit: "short", targets: [{ expr: `sum by (channel) (${m("pts_channel_items")})`, legend: "{{channel}}" }] },
    { title: "Live window bytes", description: "Encoded bytes in the live window (channels with retain.bytes).", kind: "timeseries", unit: "bytes", targets: [{ expr: `sum by (channel) (${m("pts_channel_window_bytes")})`, legend: "{{channel}}" }] },
    { title: "Stored items", description: "Items on disk (persistent channels).", kind: "timeseries", unit: "short", targets: [{ expr: `sum by (channel) (${m("pts_channel_stored_items")})`, legend: "{{channel}}" }] },
    { title: "Stored bytes", description: "Bytes of data files on disk (persistent channels).", kind: "timeseries", unit: "bytes", targets: [{ expr: `sum by (channel) (${m("pts_channel_stored_bytes")})`, legend: "{{channel}}" }] },
    { title: "Newest item age", description: "Seconds since the newest item's timestamp: a stalled source shows as a rising line.", kind: "timeseries", unit: "s", targets: [{ expr: `time() - max by (channel) (${m("pts_channel_newest_timestamp_seconds")})`, legend: "{{channel}}" }] },
    { title: "Waiters", description: "Callers waiting for a channel's next item.", kind: "timeseries", unit: "short", targets: [{ expr: `sum by (channel) (${m("pts_channel_waiters")})`, legend: "{{channel}}" }] },
    { title: "Corrupt records", description: "Damaged records found by reads and skipped, per interval (persistent channels).", kind: "timeseries", unit: "short", targets: [{ expr: increase(m("pts_channel_corrupt_records_total"), "channel"), legend: "{{channel}}" }] },
  ],
};

const storage: DashboardDef = {
  uid: "pts-storage",
  file: "storage.json",
  title: "PTS storage (LRVM)",
  description: "The LRVM journal under persistent channels: commits, fsync latency, log size, truncations, recovery.",
  panels: [
    { title: "Commits by mode", description: "LRVM commits per second: flush (synchronous) or lazy.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_lrvm_commits_total"), "mode"), legend: "{{mode}}" }] },
    quantiles("fsync latency", "Time per fdatasync of the redo log: p50, p95 and p99 over the interval.", "pts_lrvm_fsync_duration_seconds", "instance", [0.5, 0.95, 0.99]),
    { title: "fsyncs", description: "fdatasync calls on the redo log per second.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(h("pts_lrvm_fsync_duration_seconds", "count"), "instance"), legend: "{{instance}}" }] },
    { title: "Log size", description: "Current size of the redo log.", kind: "timeseries", unit: "bytes", targets: [{ expr: `sum by (instance) (${m("pts_lrvm_log_bytes")})`, legend: "{{instance}}" }] },
    { title: "Log writes", description: "Bytes appended to the redo log per second.", kind: "timeseries", unit: "Bps", targets: [{ expr: rate(m("pts_lrvm_log_written_bytes_total"), "instance"), legend: "{{instance}}" }] },
    { title: "Truncations", description: "Log truncations per interval.", kind: "timeseries", unit: "short", targets: [{ expr: increase(m("pts_lrvm_truncations_total"), "instance"), legend: "{{instance}}" }] },
    { title: "Recovery time", description: "How long recovery took when the data directory was opened.", kind: "stat", unit: "s", targets: [{ expr: `max(${m("pts_lrvm_recovery_seconds")})`, legend: "recovery" }] },
    { title: "Recovered records", description: "Log records replayed by recovery at open.", kind: "stat", unit: "short", targets: [{ expr: `max(${m("pts_lrvm_recovered_records")})`, legend: "records" }] },
    { title: "Stored bytes by channel", description: "Bytes of data files on disk, per persistent channel.", kind: "timeseries", unit: "bytes", targets: [{ expr: `sum by (channel) (${m("pts_channel_stored_bytes")})`, legend: "{{channel}}" }] },
  ],
};

const sensorsActuators: DashboardDef = {
  uid: "pts-sensors-actuators",
  file: "sensors-actuators.json",
  title: "PTS sensors and actuators",
  description: "Sensors: items, bytes, errors by reason, reconnects. Actuators: outcomes, latency, retries.",
  panels: [
    { title: "Sensor items", description: "Frames or readings each sensor put per second.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_sensor_items_total"), "sensor"), legend: "{{sensor}}" }] },
    { title: "Sensor bytes", description: "Bytes of frames or readings each sensor put per second.", kind: "timeseries", unit: "Bps", targets: [{ expr: rate(m("pts_sensor_bytes_total"), "sensor"), legend: "{{sensor}}" }] },
    { title: "Sensor errors by reason", description: "Sensor errors per second: connect, stream, truncated, corrupt, read, process, put.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_sensor_errors_total"), "sensor, reason"), legend: "{{sensor}} {{reason}}" }] },
    { title: "Sensor reconnects", description: "Reconnects after a failure or an end, per interval.", kind: "timeseries", unit: "short", targets: [{ expr: increase(m("pts_sensor_reconnects_total"), "sensor"), legend: "{{sensor}}" }] },
    { title: "Actuator outcomes", description: "Items each actuator handled per second, by outcome (ok, failed, timed_out, dead_lettered).", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_actuator_outcomes_total"), "actuator, outcome"), legend: "{{actuator}} {{outcome}}" }] },
    quantiles("Actuator latency", "From handle() to the outcome, retries included: p50, p95, p99.", "pts_actuator_latency_seconds", "actuator", [0.5, 0.95, 0.99]),
    {
      title: "Actuator mean latency",
      description: "Mean time from handle() to the outcome, retries included, over the interval.",
      kind: "timeseries",
      unit: "s",
      targets: [{ expr: `${rate(h("pts_actuator_latency_seconds", "sum"), "actuator")} / ${rate(h("pts_actuator_latency_seconds", "count"), "actuator")}`, legend: "{{actuator}}" }],
    },
    { title: "Actuator retries", description: "Attempts after the first, per second.", kind: "timeseries", unit: "ops", targets: [{ expr: rate(m("pts_actuator_retries_total"), "actuator"), legend: "{{actuator}}" }] },
  ],
};

/** Every dashboard, in the order Grafana lists them. */
export const DASHBOARDS: readonly DashboardDef[] = [overview, channels, storage, sensorsActuators];

/** The uid of the provisioned Prometheus datasource (grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE_UID = "pts-prometheus";
