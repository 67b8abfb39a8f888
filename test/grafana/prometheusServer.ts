/**
 * A real Prometheus for tests (Debian's `prometheus` package): its own instance on a free
 * loopback port, with its own config and TSDB in a temp dir, scraping the targets given.
 *
 * `startPrometheus({ targets })` writes a prometheus.yml scraping each `host:port` every
 * `scrapeInterval` (default 1s), runs `prometheus --web.listen-address=127.0.0.1:PORT`, and
 * resolves once /-/ready answers 200. `query(expr)` evaluates an instant query through the HTTP
 * API; `stop()` sends SIGTERM, waits for the exit and removes the temp dir (idempotent).
 *
 * @example
 *   const prom = await startPrometheus({ targets: ["127.0.0.1:9464"] });
 *   t.teardown(() => prom.stop());
 *   const { result } = await prom.query("up");
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/natsServer.ts";

export type PromSample = { metric: Record<string, string>; value?: [number, string] };
export type QueryResult = { resultType: string; result: PromSample[] | [number, string] };

export type Prometheus = {
  readonly url: string;
  query(expr: string): Promise<QueryResult>;
  stop(): Promise<void>;
};

const READY_TIMEOUT_MS = 30_000;

/** `promtool check config FILE`: its exit status and output. */
export function promtoolCheckConfig(file: string): { status: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "config", file], { encoding: "utf8" });
  if (r.error) throw new Error(`cannot run promtool (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export async function startPrometheus(options: { targets: string[]; scrapeInterval?: string }): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), "pts-prometheus-"));
  const port = await freePort();
  const interval = options.scrapeInterval ?? "1s";
  const config = [
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    "scrape_configs:",
    "  - job_name: pts",
    "    static_configs:",
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  const proc = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) => {
    proc.once("error", (err) => reject(new Error(`cannot run prometheus (apt-get install prometheus): ${err.message}`)));
    proc.once("exit", (code, signal) => reject(new Error(`prometheus exited (${code ?? signal}):\n${stderr}`)));
  });
  exited.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((resolve) => proc.once("exit", resolve));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitReady(url), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    stop,
    async query(expr: string): Promise<QueryResult> {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; data?: QueryResult; error?: string };
      if (body.status !== "success" || !body.data) throw new Error(`prometheus rejected ${expr}: ${body.error ?? res.status}`);
      return body.data;
    },
  };
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`prometheus at ${url} was not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
