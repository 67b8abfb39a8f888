/**
 * runPipeline: runs a pipeline definition on a runtime, stage by stage, each stage's output a
 * channel named `<pipeline>.<stage>`: `.sense` (what the sources put), `.prioritize` (items
 * admitted to processing), `.process` (the events), `.actuate` (what acting on each event came
 * to), and `.dead-letter`.
 *
 * `stages` runs only some stages, so a pipeline can be split across processes over NATS: a
 * stage whose input channel is not hosted here looks it up on NATS. Prioritize and process run
 * together (processQueued); actuation follows the `.process` channel.
 *
 * Guarantees: a bad item never stops the pipeline unless the process policy is "stop"; every
 * drop is counted by reason; `stop()` stops the sources, lets the items in progress finish, and
 * resolves once every stage has ended. End-to-end latency is measured at actuation, from the
 * sensor's timestamp.
 */
import { Subject, type Subscription, mergeMap, takeUntil, tap } from "rxjs";
import { ChannelNotFoundError, type Item, type Runtime } from "../channels/index.ts";
import { type Codec, type CodecSpec, now, toIso } from "../runtime/index.ts";
import type { Actuator, DeadLetter, Outcome } from "../actuators/index.ts";
import { PipelineStoppedError, StageTimeoutError } from "./errors.ts";
import { arrivals } from "./arrivals.ts";
import { watchPipeline } from "./pipelineMetrics.ts";
import { LatencyWindow } from "./latency.ts";
import { processQueued } from "./operators/processQueued.ts";
import { withTimeout } from "./operators/withTimeout.ts";
import { PriorityQueue } from "./priorityQueue.ts";
import { type ActuationRecord, type PipelineContext, type PipelineDefinition, type PipelineStats, STAGES, type Source, type StageName } from "./types.ts";

export type RunOptions = {
  /** The stages to run here (default all). */
  stages?: readonly StageName[];
  args?: readonly string[];
  /** Told of every event acted on (or processed, without an actuate stage). */
  onEvent?: (item: Item<unknown>) => void;
};

export type RunningPipeline = {
  readonly name: string;
  stats(): PipelineStats;
  /** Stops the sources and waits for the stages to finish what they hold. */
  stop(): Promise<void>;
  /** Settles when the pipeline ends: resolves after stop(), rejects when the "stop" policy ended it. */
  readonly done: Promise<void>;
};

const DEFAULT_CAPACITY = 16;

/** A stage channel's custom codec, which a lookup over NATS needs to read it (json and binary are known by name). */
function customCodec<T>(spec: CodecSpec<T> | undefined): Codec<unknown> | undefined {
  return typeof spec === "object" ? (spec as Codec<unknown>) : undefined;
}

export async function runPipeline<I, O>(rt: Runtime, def: PipelineDefinition<I, O>, options: RunOptions = {}): Promise<RunningPipeline> {
  const stages = new Set(options.stages ?? STAGES);
  const name = def.name;
  const abort = new AbortController();
  const channel = <T>(stage: string, opts?: object) => rt.channel<T>(`${name}.${stage}`, opts);
  // Every process of a split pipeline shares one dead-letter channel: the first one hosts it.
  const deadLetter = await rt.lookup<DeadLetter>(`${name}.dead-letter`).catch((err: unknown) => {
    if (err instanceof ChannelNotFoundError) return channel<DeadLetter>("dead-letter", { retain: { count: 1000 }, onDuplicate: "keep-first" });
    throw err;
  });
  /** A failed item of a stage, in the same shape actuators use for theirs. */
  const toDeadLetter = (stage: string, item: Item<unknown>, err: unknown) =>
    void deadLetter.put({ actuator: `${name}.${stage}`, item, reason: err instanceof StageTimeoutError ? "timeout" : "error", error: err instanceof Error ? err.message : String(err), attempts: 1, failedAt: toIso(now()) }).catch(() => undefined);
  const ctx: PipelineContext = { rt, name, args: options.args ?? [], deadLetter, signal: abort.signal };
  const stats: PipelineStats = {
    name,
    stages: {
      sense: { out: 0, sources: [] },
      prioritize: { in: 0, out: 0, depth: 0, dropped: { stale: 0, shed: 0 } },
      process: { in: 0, out: 0, empty: 0, errors: 0, timeouts: 0, durationMs: { count: 0, p50: 0, p95: 0, p99: 0, max: 0 } },
      actuate: { in: 0, ok: 0, failed: 0, latencyMs: { count: 0, p50: 0, p95: 0, p99: 0, max: 0 } },
    },
  };
  const durations = new LatencyWindow();
  const latencies = new LatencyWindow();
  let failStop: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (failStop = reject));
  failed.catch(() => undefined);
  /** Ends the process stage's input: it then drains its queue and workers and completes. */
  const inputEnd = new Subject<void>();
  const actuateEnd = new Subject<void>();
  /** Event puts not yet stored (a persistent events channel stores them asynchronously). */
  const eventPuts = new Set<Promise<void>>();
  let processEnded: Promise<void> = Promise.resolve();
  let queueSize = () => 0;
  let actuateEnded: Promise<void> = Promise.resolve();

  let sources: Source[] = [];
  let actuators: Actuator<O>[] = [];
  // The metrics read the counters alone: a snapshot's percentiles sort thousands of samples.
  const watch = rt.metrics && watchPipeline(rt.metrics, { stats: counters, sources: () => sources, actuators: () => actuators as Actuator<unknown>[] });
  const processDuration = watch?.histograms.duration;
  const endToEnd = watch?.histograms.endToEnd;

  // sense
  let senseOff: (() => void) | undefined;
  if (stages.has("sense")) {
    const sink = await channel<I>("sense", def.sense.channel ?? { retain: { count: 256 } });
    senseOff = sink.on("put", () => void stats.stages.sense.out++);
    sources = [await def.sense.sources(sink, ctx)].flat();
    for (const s of sources) s.start();
  }

  // prioritize + process
  let processing: Subscription | undefined;
  if (stages.has("prioritize") || stages.has("process")) {
    const source = await rt.lookup<I>(`${name}.sense`, { from: "oldest", codec: customCodec(def.sense.channel?.codec) });
    const admitted = await channel<I>("prioritize", { retain: { count: 256 }, onDuplicate: "keep-first" });
    const events = await channel<O>("process", def.process.channel ?? { retain: { count: 1000 } });
    const p = def.prioritize ?? {};
    const queue = new PriorityQueue<I>({
      capacity: p.capacity ?? DEFAULT_CAPACITY,
      maxAgeMs: p.maxAgeMs,
      priority: p.priority,
      key: p.key,
      weights: p.weights,
      onDrop: (_item, reason) => stats.stages.prioritize.dropped[reason]++,
    });
    queueSize = () => queue.size;
    const work = withTimeout((item: Item<I>, signal) => def.process.fn(item, signal), def.process.timeoutMs);
    const policy = def.process.onError ?? "skip";
    processEnded = new Promise<void>((resolve) => {
      processing = arrivals(source)
        .pipe(
          tap(() => stats.stages.prioritize.in++),
          takeUntil(inputEnd),
          processQueued(queue, work, {
            concurrency: def.process.concurrency ?? 1,
            now,
            onAdmit: (item) => {
              stats.stages.prioritize.out++;
              void admitted.put(item.value as I, item.ts).catch(() => undefined);
            },
          }),
        )
        .subscribe({
          next: (r) => {
            stats.stages.process.in++;
            durations.add((r.finished - r.started) / 1000);
            processDuration?.observe((r.finished - r.started) / 1e6);
            if (r.ok) {
              if (r.result === undefined) stats.stages.process.empty++;
              else {
                stats.stages.process.out++;
                const put: Promise<void> = events.put(r.result, r.item.ts).catch((err: unknown) => toDeadLetter("process", r.item, err)).finally(() => eventPuts.delete(put));
                eventPuts.add(put);
                if (!stages.has("actuate")) {
                  const latencyUs = now() - r.item.ts;
                  latencies.add(latencyUs / 1000);
                  endToEnd?.observe(latencyUs / 1e6);
                  options.onEvent?.({ ts: r.item.ts, value: r.result });
                }
              }
              return;
            }
            stats.stages.process.errors++;
            if (r.error instanceof StageTimeoutError) stats.stages.process.timeouts++;
            if (policy === "dead-letter") toDeadLetter("process", r.item, r.error);
            if (policy === "stop") failStop(new PipelineStoppedError(name, r.error));
          },
          complete: () => resolve(),
          error: (err: unknown) => {
            failStop(err);
            resolve();
          },
        });
      abort.signal.addEventListener("abort", () => {
        processing?.unsubscribe();
        resolve();
      });
    });
  }

  // actuate
  if (stages.has("actuate")) {
    actuators = def.actuate ? await def.actuate.actuators(ctx) : [];
    const events = await rt.lookup<O>(`${name}.process`, { from: "oldest", codec: customCodec(def.process.channel?.codec) });
    const records = await channel<ActuationRecord>("actuate", { retain: { count: 1000 }, onDuplicate: "replace" });
    const concurrency = def.actuate?.concurrency ?? 4;
    const act = async (item: Item<O>) => {
      stats.stages.actuate.in++;
      const outcomes: Record<string, Outcome> = {};
      await Promise.all(actuators.map(async (a) => (outcomes[a.name] = await a.handle(item))));
      const latencyMs = (now() - item.ts) / 1000;
      latencies.add(latencyMs);
      endToEnd?.observe(latencyMs / 1000);
      const ok = Object.values(outcomes).every((o) => o.status === "ok");
      if (ok) stats.stages.actuate.ok++;
      else stats.stages.actuate.failed++;
      await records.put({ latencyMs, outcomes }, item.ts).catch(() => undefined);
      options.onEvent?.(item);
    };
    actuateEnded = new Promise<void>((resolve) => {
      const sub = arrivals(events)
        .pipe(takeUntil(actuateEnd), mergeMap(act, concurrency))
        .subscribe({ complete: resolve, error: () => resolve() });
      abort.signal.addEventListener("abort", () => {
        sub.unsubscribe();
        resolve();
      });
    });
  }

  // Stopping drains front to back: sources stop, the process stage finishes what it holds, the
  // actuators act on the events it produced, then everything closes.
  let stopping: Promise<void> | undefined;
  let stopped: () => void = () => undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(sources.map((s) => s.stop()));
      senseOff?.();
      // Puts reach the process stage as they happen, so once the sources have stopped its
      // input is complete: it ends, and finishes what its queue and workers hold.
      inputEnd.next();
      await processEnded;
      await Promise.all(eventPuts);
      // The events the process stage put have reached the actuate stage (puts arrive as they
      // happen): end its input, and it finishes the actions in flight.
      actuateEnd.next();
      await actuateEnded;
      abort.abort();
      await Promise.all(actuators.map((a) => a.close()));
      watch?.unwatch();
      stopped();
    })());
  const done = Promise.race([failed, new Promise<void>((resolve) => (stopped = resolve))]);
  failed.catch(() => void stop());

  return {
    name,
    stop,
    done,
    stats: snapshot,
  };

  function counters(): PipelineStats {
    stats.stages.prioritize.depth = queueSize();
    return stats;
  }

  function snapshot(): PipelineStats {
    counters();
    stats.stages.sense.sources = sources.map((s) => s.stats?.());
    stats.stages.process.durationMs = durations.percentiles();
    stats.stages.actuate.latencyMs = latencies.percentiles();
    return stats;
  }
}

