/**
 * Metrics: one prom-client registry per runtime, with Node's default process metrics (one set
 * per process, started at the first scrape), and the HTTP server for /metrics, /healthz and
 * /readyz (127.0.0.1:9464 unless configured otherwise).
 *
 * Speed is designed in: the layers above keep plain numbers — counters in their own `stats()`,
 * latency distributions in LatencyHistograms — and register *collectors* here that read them
 * when Prometheus scrapes. So a put, a commit or an item through a pipeline makes no
 * prom-client call with metrics on.
 *
 * A scrape is cheap too: PTS's own families are written straight to text from the collectors
 * (runtime/exposition.ts); the registry holds them as prom-client metrics only for in-process
 * readers of `get()` (the live view). The default process metrics (prom-client's
 * collectDefaultMetrics: /proc, V8's heap statistics, the event-loop delay histogram) are
 * collected at most once per PROCESS_METRICS_MS and served from that text in between.
 *
 * Names follow Prometheus conventions: a `pts_` prefix, base units (`_seconds`, `_bytes`),
 * `_total` on counters; labels are bounded (channel, pipeline, stage, sensor, actuator, reason…).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { InvalidOptionError, PtsError } from "./errors.ts";
import { type HistogramSamples, type Labels, type Samples, histogramWriter, samplesWriter } from "./exposition.ts";

export type { HistogramSamples, Labels, Samples } from "./exposition.ts";

export type MetricsOptions = { port?: number; host?: string };
/** Answers a request for a path under a registered prefix. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => void | Promise<void>;

export const DEFAULT_METRICS_PORT = 9464;
/** The default process metrics are collected at most this often; scrapes in between reuse them. */
export const PROCESS_METRICS_MS = 1000;

/** The metrics server could not listen (the port is taken, or the address is not this host's). */
export class MetricsServerError extends PtsError {
  static readonly code = "PTS_METRICS_SERVER";
  constructor(address: string, cause: unknown) {
    super(MetricsServerError.code, `cannot serve metrics on ${address}: ${(cause as Error).message}; choose another port (metrics: { port }) or pass metrics: false`, { cause });
  }
}

/**
 * Node's default process metrics, one set per process whatever the number of runtimes: they
 * describe the process, and prom-client's collectors (a GC PerformanceObserver, an event-loop
 * delay monitor) can never be stopped, so one per runtime would pile up in a process that
 * starts runtimes again and again. Collected at most once per PROCESS_METRICS_MS.
 */
let processRegistry: Registry | undefined;
let processText: Promise<string> | undefined;
let processAt = -Infinity;

function processMetricsText(): Promise<string> {
  const now = performance.now();
  if (processText === undefined || now - processAt >= PROCESS_METRICS_MS) {
    if (processRegistry === undefined) {
      processRegistry = new Registry();
      collectDefaultMetrics({ register: processRegistry });
    }
    processAt = now;
    processText = processRegistry.metrics();
  }
  return processText;
}

export class Metrics {
  /**
   * PTS's own metric families, for in-process readers of their values, and the place for an
   * application's own metrics: /metrics serves those too. The default process metrics are kept apart.
   */
  readonly registry = new Registry();
  /** PTS's own families as /metrics serves them, in registration order. */
  private readonly writers: (() => string)[] = [];
  /** Names of the families the writers serve; the registry's others are the application's. */
  private readonly written = new Set<string>();
  private server: http.Server | undefined;
  private ready: () => boolean = () => true;
  private readonly routes: { prefix: string; handler: RouteHandler }[] = [];

  /** A counter whose values are read from `read` at each scrape. */
  counter(name: string, help: string, labelNames: readonly string[], read: () => Samples): void {
    this.collected(new Counter({ name, help, labelNames, registers: [this.registry] }), read);
    const write = samplesWriter(name, help, "counter");
    this.writes(name, () => write(read()));
  }

  /** A gauge whose values are read from `read` at each scrape. */
  gauge(name: string, help: string, labelNames: readonly string[], read: () => Samples): void {
    this.collected(new Gauge({ name, help, labelNames, registers: [this.registry] }), read);
    const write = samplesWriter(name, help, "gauge");
    this.writes(name, () => write(read()));
  }

  /** A histogram (in seconds) whose distributions are read from `read` at each scrape. */
  histogram(name: string, help: string, labelNames: readonly string[], read: () => HistogramSamples): void {
    new CollectedHistogram(name, help, labelNames, this.registry, read);
    const write = histogramWriter(name, help);
    this.writes(name, () => write(read()));
  }

  private writes(name: string, write: () => string): void {
    this.written.add(name);
    this.writers.push(write);
  }

  /**
   * Answers `get()` with `read`'s samples, rather than filling prom-client's label map (reset,
   * then inc or set, hashing every label set) for values the collectors already hold.
   */
  private collected(metric: Counter<string> | Gauge<string>, read: () => Samples): void {
    const own = metric.get.bind(metric);
    metric.get = async () => {
      const out = await own();
      out.values = Array.from(read(), ([labels, value]) => ({ labels, value }));
      return out;
    };
  }

  /**
   * Serves more pages on the same server, under a path prefix (e.g. the live view, registered by
   * the layers above, which know what a channel is). The longest matching prefix answers.
   */
  route(prefix: string, handler: RouteHandler): void {
    this.routes.push({ prefix, handler });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The text Prometheus scrapes. */
  async text(): Promise<string> {
    let own = "";
    for (const write of this.writers) own += write();
    const all = this.registry.getMetricsAsArray();
    // The registry holds PTS's own families and, when there are more, the application's.
    if (all.length > this.written.size) {
      for (const metric of all) if (!this.written.has(metric.name)) own += `${await this.registry.getSingleMetricAsString(metric.name)}\n`;
    }
    return own + (await processMetricsText());
  }

  /** Serves /metrics, /healthz and /readyz; resolves with the address it listens on. */
  async serve(options: MetricsOptions, ready: () => boolean): Promise<{ host: string; port: number; url: string }> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? DEFAULT_METRICS_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError("metrics.port", port, "a port number (0 picks a free one)");
    this.ready = ready;
    const server = http.createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new MetricsServerError(`${host}:${port}`, err)));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    return { host, port: bound, url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics` };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      try {
        const body = await this.text();
        res.writeHead(200, { "content-type": this.registry.contentType });
        res.end(body);
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`metrics failed: ${(err as Error).message}\n`);
      }
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
      return;
    }
    if (path === "/readyz") {
      const ok = this.ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ready\n" : "not ready\n");
      return;
    }
    const route = this.routes.find((r) => path === r.prefix || path.startsWith(r.prefix.endsWith("/") ? r.prefix : `${r.prefix}/`));
    if (route) {
      try {
        await route.handler(req, res, path);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`failed: ${(err as Error).message}\n`);
      }
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try /metrics, /healthz or /readyz\n");
  }
}

/**
 * A prom-client histogram whose values come from LatencyHistograms when read, so that observing
 * stays a few plain-number updates (runtime/latencyHistogram.ts). Its `get()` gives what a
 * prom-client Histogram's would: cumulative `_bucket` values with `le`, `_sum`, `_count`.
 */
class CollectedHistogram extends Histogram<string> {
  constructor(
    private readonly family: string,
    private readonly description: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly read: () => HistogramSamples,
  ) {
    super({ name: family, help: description, labelNames, registers: [registry] });
  }

  /**
   * What prom-client's own `get()` builds on (untyped in its declarations): values with `le`
   * as the label and the family's labels as shared ones.
   */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: CollectedValue[] }> {
    const values: CollectedValue[] = [];
    for (const [labels, h] of this.read()) {
      let cumulative = 0;
      for (let i = 0; i <= h.bounds.length; i++) {
        cumulative += h.counts[i];
        values.push({ labels: { le: i < h.bounds.length ? h.bounds[i] : "+Inf" }, sharedLabels: labels, value: cumulative, metricName: `${this.family}_bucket` });
      }
      values.push({ labels: {}, sharedLabels: labels, value: h.sum, metricName: `${this.family}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: h.count, metricName: `${this.family}_count` });
    }
    return { name: this.family, help: this.description, type: "histogram", aggregator: "sum", values };
  }
}

type CollectedValue = { labels: Record<string, string | number>; sharedLabels: Labels; value: number; metricName: string };
