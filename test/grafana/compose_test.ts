/**
 * grafana/docker-compose.yml, as far as it can be checked without a Docker engine (none runs
 * here): every file it mounts exists, the services name each other by the names and ports they
 * serve on (Prometheus scrapes the `pts` service on the port its command serves metrics on;
 * Grafana's datasource is the `prometheus` service; Grafana's provisioning reads the folder the
 * dashboards are mounted at, and its home dashboard is one of them), and the PTS service's
 * command runs: the same `exec node bin/pts.js run …` line (exec, so that the SIGTERM of
 * `docker compose down` reaches PTS rather than the shell), with only the container's addresses
 * replaced by loopback ones, serves the demo's metrics on NATS with a data directory.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { tempDir } from "../helpers.ts";
import { freePort, startNatsServer } from "../helpers/natsServer.ts";
import { startPts } from "../channels/remote/ptsProcess.ts";

const GRAFANA = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "grafana");
const compose = await readFile(join(GRAFANA, "docker-compose.yml"), "utf8");

/** The lines of one top-level service's block (indented by four or more spaces under `  name:`). */
function service(name: string): string {
  const m = compose.match(new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`, "m"));
  if (!m) throw new Error(`docker-compose.yml has no service ${name}`);
  return m[1];
}

/** The `- "host:container"` entries of a service's `key:` list. */
function list(block: string, key: string): string[] {
  const m = block.match(new RegExp(`^    ${key}:\\n((?:      - .*\\n)+)`, "m"));
  return m ? [...m[1].matchAll(/^ {6}- "?([^"\n]+)"?$/gm)].map((x) => x[1]) : [];
}

/** The PTS service's command: the `sh -c "…"` folded block, as the words of its `node …` part. */
function ptsCommand(): string[] {
  const m = service("pts").match(/^    command: >-\n((?: {6,}.*\n)+)/m);
  if (!m) throw new Error("the pts service has no folded command");
  const script = m[1].replace(/\s+/g, " ").trim().replace(/^sh -c "/, "").replace(/"$/, "");
  // `exec`: PTS must replace the shell as PID 1, or the SIGTERM of `docker compose down` never reaches it.
  const node = script.split("&&").map((s) => s.trim()).find((s) => s.startsWith("exec node "));
  if (!node) throw new Error(`the pts service's command does not exec node: ${script}`);
  return node.split(" ").slice(2);
}

t.test("every file the services mount exists", async (t) => {
  for (const name of ["pts", "prometheus", "grafana"]) {
    for (const volume of list(service(name), "volumes")) {
      const source = volume.split(":")[0];
      if (!source.startsWith(".")) continue;
      t.ok(existsSync(join(GRAFANA, source)), `${name} mounts ${source}`);
    }
  }
  t.ok(existsSync(join(GRAFANA, "..", "bin", "pts.js")), "the pts service's /app holds bin/pts.js");
});

t.test("services reach each other by the names and ports they serve on", async (t) => {
  const command = ptsCommand();
  const metricsPort = command[command.indexOf("--metrics-port") + 1];
  t.equal(command[command.indexOf("--metrics-host") + 1], "0.0.0.0", "PTS in its container listens beyond its own loopback, for Prometheus");
  t.match(command[command.indexOf("--nats") + 1], /^nats:\/\/nats:4222$/, "PTS connects to the nats service");
  t.ok(list(service("pts"), "ports").includes(`127.0.0.1:${metricsPort}:${metricsPort}`), "the live view is published on the host's loopback only");

  const prometheus = await readFile(join(GRAFANA, "prometheus.yml"), "utf8");
  t.match(prometheus, new RegExp(`targets: \\["pts:${metricsPort}"\\]`), "Prometheus scrapes the pts service on its metrics port");
  t.ok(list(service("prometheus"), "volumes").includes("./prometheus.yml:/etc/prometheus/prometheus.yml:ro"), "Prometheus runs with grafana/prometheus.yml");

  const datasource = await readFile(join(GRAFANA, "provisioning", "datasources", "prometheus.yml"), "utf8");
  t.match(datasource, /url: http:\/\/prometheus:9090/, "Grafana's datasource is the prometheus service");
  t.ok(list(service("prometheus"), "ports").includes("127.0.0.1:9090:9090"), "Prometheus is published on the host's loopback");

  const grafana = service("grafana");
  const mounted = list(grafana, "volumes").find((v) => v.startsWith("./dashboards:"));
  t.ok(mounted, "the dashboards are mounted");
  const at = mounted!.split(":")[1];
  const provider = await readFile(join(GRAFANA, "provisioning", "dashboards", "pts.yml"), "utf8");
  t.match(provider, new RegExp(`path: ${at}$`, "m"), "Grafana's dashboard provider reads the folder they are mounted at");
  const home = grafana.match(/GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: (\S+)/)?.[1];
  t.ok(home?.startsWith(`${at}/`), "the home dashboard is in that folder");
  t.ok(existsSync(join(GRAFANA, "dashboards", home!.slice(at.length + 1))), `the home dashboard ${home} exists`);
});

t.test("the pts service's command serves the demo's metrics", async (t) => {
  const nats = await startNatsServer({ jetstream: true });
  t.teardown(() => nats.stop());
  const data = await tempDir(t);
  const port = await freePort();
  // Only the container's addresses change: NATS, the data volume, and the listening address and port.
  const args = ptsCommand()
    .slice(1)
    .map((w) => w.replace("nats://nats:4222", nats.url).replace(/^\/data/, data).replace("0.0.0.0", "127.0.0.1").replace(/^9464$/, String(port)));
  t.equal(ptsCommand()[0], "bin/pts.js");
  const demo = await startPts(args, "pts run: metrics on");
  t.teardown(() => demo.kill());
  const url = `http://127.0.0.1:${port}/metrics`;
  let text = "";
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    text = await fetch(url).then((r) => r.text(), () => "");
    if (/^pts_stage_items_out_total\{pipeline="motion-alert",stage="process"\} [1-9]/m.test(text)) break;
  }
  t.match(text, /^pts_stage_items_out_total\{pipeline="motion-alert",stage="process"\} [1-9]/m, "the demo pipeline runs and its metrics are served");
  t.match(text, /^pts_nats_connected 1$/m, "on NATS");
  t.match(text, /^pts_lrvm_commits_total/m, "with its data directory");
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  t.equal(await demo.kill("SIGTERM"), 0, "stops cleanly on SIGTERM, as `docker compose down` sends");
});
