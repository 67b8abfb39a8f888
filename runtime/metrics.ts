/**
 * Metrics: one prom-client registry per runtime, default process metrics included, and the
 * HTTP server for /metrics, /healthz and /readyz (127.0.0.1:9464 unless configured otherwise).
 *
 * Speed is designed in: the layers above keep plain counters in their own `stats()`, and
 * register *collectors* here that copy them into Prometheus metrics when Prometheus scrapes.
 * So a put or a commit costs nothing more with metrics on; only latencies that need a
 * distribution are observed as they happen, into histograms.
 *
 * Names follow Prometheus conventions: a `pts_` prefix, base units (`_seconds`, `_bytes`),
 * `_total` on counters; labels are bounded (channel, pipeline, stage, sensor, actuator, reason…).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { InvalidOptionError, PtsError } from "./errors.ts";

export type MetricsOptions = { port?: number; host?: string };
/** Answers a request for a path under a registered prefix. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => void | Promise<void>;
export type Labels = Record<string, string>;
/** What a collector reports at scrape time: one value per label set. */
export type Samples = Iterable<readonly [Labels, number]>;

export const DEFAULT_METRICS_PORT = 9464;

/** The metrics server could not listen (the port is taken, or the address is not this host's). */
export class MetricsServerError extends PtsError {
  static readonly code = "PTS_METRICS_SERVER";
  constructor(address: string, cause: unknown) {
    super(MetricsServerError.code, `cannot serve metrics on ${address}: ${(cause as Error).message}; choose another port (metrics: { port }) or pass metrics: false`, { cause });
  }
}

export class Metrics {
  readonly registry = new Registry();
  private server: http.Server | undefined;
  private ready: () => boolean = () => true;
  private readonly routes: { prefix: string; handler: RouteHandler }[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A counter whose values are read from `read` at each scrape. */
  counter(name: string, help: string, labelNames: readonly string[], read: () => Samples): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  /** A gauge whose values are read from `read` at each scrape. */
  gauge(name: string, help: string, labelNames: readonly string[], read: () => Samples): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }

  /** A histogram fed as events happen (for latency distributions), in seconds. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: number[] = LATENCY_BUCKETS): Histogram<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<string>;
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
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
  text(): Promise<string> {
    return this.registry.metrics();
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

/** Latency buckets from 0.5 ms to 30 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
