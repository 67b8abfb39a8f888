/**
 * The Grafana dashboards against a real Prometheus: the demo pipeline (motion-alert, on NATS,
 * with a data directory) runs as `pts run`, Prometheus (Debian's package) scrapes it every
 * second, and every query of every panel of every dashboard in grafana/dashboards/ must return
 * data. The committed dashboards must equal what grafana/dashboards.ts generates, they may
 * name only metrics listed in grafana/panels.ts, and that list must match what the runtime
 * serves. `promtool check config` must accept grafana/prometheus.yml.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { DASHBOARDS_DIR, generate } from "../../grafana/dashboards.ts";
import { METRICS, familyOf } from "../../grafana/panels.ts";
import { tempDir } from "../helpers.ts";
import { freePort, startNatsServer } from "../helpers/natsServer.ts";
import { promtoolCheckConfig, startPrometheus } from "./prometheusServer.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** What Grafana would put for its interval variables; 30 s holds many 1 s scrapes. */
const INTERVAL = "30s";
const WAIT_MS = 90_000;

type Query = { dashboard: string; panel: string; expr: string };

async function dashboardQueries(): Promise<Query[]> {
  const out: Query[] = [];
  for (const file of (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith(".json")).sort()) {
    const d = JSON.parse(await readFile(join(DASHBOARDS_DIR, file), "utf8")) as { title: string; panels: { title: string; targets?: { expr: string }[] }[] };
    for (const p of d.panels) for (const target of p.targets ?? []) out.push({ dashboard: d.title, panel: p.title, expr: target.expr });
  }
  return out;
}

const substitute = (expr: string) => expr.replaceAll("$__rate_interval", INTERVAL).replaceAll("$__interval", INTERVAL).replaceAll("$__range", INTERVAL);

/** The series names a PromQL expression reads (identifiers that look like metric names). */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:pts|process|nodejs)_[a-z0-9_]+)\b/g)].map((x) => x[1]);
}

t.test("dashboards - the committed JSON is what grafana/dashboards.ts generates", async (t) => {
  const files = (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith(".json")).sort();
  const generated = generate();
  t.same(files, generated.map((g) => g.file).sort(), "one file per dashboard, no strays");
  for (const g of generated) t.equal(await readFile(join(DASHBOARDS_DIR, g.file), "utf8"), g.text, `${g.file} is up to date (run npm run dashboards)`);
});

t.test("dashboards - every query names only metrics listed in grafana/panels.ts", async (t) => {
  const queries = await dashboardQueries();
  t.ok(queries.length > 0, "the dashboards have queries");
  for (const q of queries) {
    const series = seriesIn(q.expr);
    t.ok(series.length > 0, `${q.dashboard} / ${q.panel} reads a metric`);
    for (const s of series) t.ok(familyOf(s), `${q.dashboard} / ${q.panel}: ${s} is an exported metric`);
  }
});

t.test("prometheus.yml - promtool check config passes", async (t) => {
  const { status, output } = promtoolCheckConfig(join(ROOT, "grafana", "prometheus.yml"));
  t.equal(status, 0, output);
});

t.test("dashboards - every panel query returns data from Prometheus scraping the demo", async (t) => {
  const dir = await tempDir(t);
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const deadPort = await freePort();
  const child = spawn(
    process.execPath,
    ["bin/pts.js", "run", "test/grafana/demoPipeline.ts", "--metrics-port", "0", "--for", "120s", "--data", join(dir, "data"), "--nats", nats.url, "--", "--events", join(dir, "events"), "--dead-camera", `http://127.0.0.1:${deadPort}/snap.jpg`],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  t.teardown(() => stopChild(child));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));

  const metricsUrl = await waitFor(() => /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1], "pts run to print its metrics address", () => stderr, child);
  const target = new URL(metricsUrl).host;
  // The address is printed when the runtime starts; the pipeline's metrics exist once it runs.
  await waitFor(() => (/ running\b/.test(stderr) ? true : undefined), "the pipeline to start", () => stderr, child);

  t.test("the metric list matches what the runtime serves", async (t) => {
    const text = await (await fetch(metricsUrl)).text();
    const served = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((x) => x[1]));
    for (const d of METRICS) t.ok(served.has(d.name), `${d.name} is served`);
    const listed = new Set<string>(METRICS.map((d) => d.name));
    for (const name of served) if (name.startsWith("pts_")) t.ok(listed.has(name), `${name} is listed in grafana/panels.ts`);
  });

  const prom = await startPrometheus({ targets: [target] });
  t.teardown(() => prom.stop());

  const queries = await dashboardQueries();
  const empty = async () => {
    const out: Query[] = [];
    for (const q of queries) {
      const r = await prom.query(substitute(q.expr));
      if (!Array.isArray(r.result) || r.result.length === 0) out.push(q);
    }
    return out;
  };
  // Samples arrive once a second; rates need two in their window, and some series (a sensor's
  // first error) appear only after a while. Wait until every query has data, or give up.
  let missing = queries;
  const deadline = Date.now() + WAIT_MS;
  while (missing.length > 0 && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pts run exited (${child.exitCode}):\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    missing = await empty();
  }
  const up = await prom.query(`up{job="pts"}`);
  t.ok(Array.isArray(up.result) && up.result.length === 1, "Prometheus scrapes pts");
  const still = new Set(missing);
  for (const q of queries) t.notOk(still.has(q), `${q.dashboard} / ${q.panel}: ${q.expr} returns data`);
});

/** Polls `get` until it returns a value; fails with `what` (and the child's output) otherwise. */
async function waitFor<T>(get: () => T | undefined, what: string, detail: () => string, child: ChildProcess): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (child.exitCode !== null) throw new Error(`pts run exited (${child.exitCode}) before ${what}:\n${detail()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM (pts run drains and checkpoints), SIGKILL if it does not exit within 15 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await gone;
  clearTimeout(timer);
}
