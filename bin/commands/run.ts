/**
 * `pts run SCRIPT [options] [-- script args]`: runs a pipeline script.
 *
 * The script is .ts or .js, loaded without a build. It exports a pipeline({...}) definition
 * (or `create(args)` returning one), or an imperative `async (rt, args, signal) => {}`.
 * It runs embedded by default, or on NATS with --nats URL (and persistent with --data DIR).
 * At a terminal a status line shows items/s per stage, drops and latency. SIGINT or SIGTERM
 * drains the pipeline, checkpoints and exits cleanly; so do --for 10s and --items N (items
 * processed). A summary is printed at the end.
 */
import { DEFAULT_METRICS_PORT, MetricsServerError, Runtime, parseDuration } from "../../index.ts";
import { type PipelineStats, type RunningPipeline, loadScript, runPipeline, type StageName, STAGES } from "../../pipelines/index.ts";
import { NATS_ARGS, type Parsed, natsOptions, parseArgs, untilSignal } from "../args.ts";

export const summary = "run a pipeline script (.ts or .js), embedded or on NATS";
export const usage = [
  "usage: pts run SCRIPT [--for 10s] [--items N] [--nats URL] [--data DIR] [--stages sense,process,...] [-- script args]",
  "       --stages runs only those stages here (the others run elsewhere on NATS)",
  "       --metrics-port P (default 9464; 0 picks a free one) --metrics-host H (default 127.0.0.1) --no-metrics",
].join("\n");

const tty = process.stderr.isTTY === true;

export async function run(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const scriptArgs = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const args = parseArgs(own, [...NATS_ARGS, "data", "for", "items", "stages", "metrics-port", "metrics-host"], ["no-metrics"]);
  const [script] = args.positional;
  if (script === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const forUs = args.options.has("for") ? parseDuration(args.options.get("for")!) : undefined;
  const maxItems = args.options.has("items") ? Number(args.options.get("items")) : undefined;
  const stages = args.options.get("stages")?.split(",").map((s) => s.trim()) as StageName[] | undefined;
  if (stages?.some((s) => !STAGES.includes(s))) {
    process.stderr.write(`pts run: --stages takes ${STAGES.join(", ")}\n`);
    return 2;
  }
  const loaded = await loadScript(script, scriptArgs);
  const rt = await startRuntime(args);
  const ac = new AbortController();
  const timer = forUs !== undefined ? setTimeout(() => ac.abort("time"), forUs / 1000) : undefined;
  void untilSignal().then(() => ac.abort("signal"));
  try {
    if (loaded.kind === "imperative") {
      await loaded.run(rt, scriptArgs, ac.signal);
      return 0;
    }
    const running = await runPipeline(rt, loaded.def, { stages, args: scriptArgs });
    process.stderr.write(`pts run: ${running.name} running${stages ? ` (stages ${stages.join(",")})` : ""}, ${rt.namespace} namespace${args.options.has("nats") ? " on NATS" : ", embedded"}; Ctrl-C to stop\n`);
    const started = performance.now();
    const status = setInterval(() => {
      const s = running.stats();
      if (tty) process.stderr.write(`\r\x1b[2K${statusLine(s, (performance.now() - started) / 1000)}`);
      if (maxItems !== undefined && s.stages.process.in >= maxItems) ac.abort("items");
    }, tty ? 500 : 100);
    await Promise.race([running.done, new Promise((resolve) => ac.signal.addEventListener("abort", resolve, { once: true }))]);
    clearInterval(status);
    if (tty) process.stderr.write("\r\x1b[2K");
    process.stderr.write(`pts run: stopping (${String(ac.signal.reason ?? "pipeline ended")}): draining and checkpointing\n`);
    await running.stop();
    await running.done.catch((err: unknown) => {
      throw err;
    });
    process.stdout.write(summaryOf(running, (performance.now() - started) / 1000) + "\n");
    return 0;
  } finally {
    clearTimeout(timer);
    await rt.stop();
  }
}

/**
 * The runtime, serving metrics unless --no-metrics. When the default port is taken (another
 * pts run on this host), it says so and runs without metrics; an explicit port must be free.
 */
async function startRuntime(args: Parsed): Promise<Runtime> {
  const base = { nats: natsOptions(args), dataDir: args.options.get("data"), namespace: args.options.get("namespace"), onError: (err: unknown, context: string) => process.stderr.write(`pts run: ${context}: ${(err as Error).message}\n`) };
  if (args.flags.has("no-metrics")) return Runtime.start(base);
  const explicit = args.options.has("metrics-port");
  const metrics = { port: explicit ? Number(args.options.get("metrics-port")) : DEFAULT_METRICS_PORT, host: args.options.get("metrics-host") ?? "127.0.0.1" };
  try {
    const rt = await Runtime.start({ ...base, metrics });
    process.stderr.write(`pts run: metrics on ${rt.metricsAddress!.url} (also /healthz, /readyz)\n`);
    return rt;
  } catch (err) {
    if (explicit || !(err instanceof MetricsServerError)) throw err;
    process.stderr.write(`pts run: ${err.message}; running without metrics (pass --metrics-port to choose a port)\n`);
    return Runtime.start(base);
  }
}

function statusLine(s: PipelineStats, secs: number): string {
  const { sense, prioritize, process: p, actuate } = s.stages;
  const rate = (n: number) => (n / Math.max(secs, 0.001)).toFixed(1);
  return `${s.name} ${secs.toFixed(0)}s | sense ${rate(sense.out)}/s | queue ${prioritize.depth} dropped stale ${prioritize.dropped.stale} shed ${prioritize.dropped.shed} | process ${rate(p.in)}/s errors ${p.errors} | actuate ${actuate.in} p50 ${actuate.latencyMs.p50.toFixed(1)}ms p99 ${actuate.latencyMs.p99.toFixed(1)}ms`;
}

function summaryOf(running: RunningPipeline, secs: number): string {
  return JSON.stringify({ pipeline: running.name, seconds: Number(secs.toFixed(2)), ...running.stats().stages });
}
