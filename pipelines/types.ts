/**
 * The types of the pipelines layer: a pipeline definition, its stages, and their statistics.
 */
import type { Channel, ChannelOptions, Item, Runtime } from "../channels/index.ts";
import type { Actuator, DeadLetter, Outcome } from "../actuators/index.ts";
import type { Percentiles } from "./latency.ts";
import type { DropReason } from "./priorityQueue.ts";

export type StageName = "sense" | "prioritize" | "process" | "actuate";
export const STAGES: readonly StageName[] = ["sense", "prioritize", "process", "actuate"];

/** What stage factories get: the runtime, the pipeline's name and arguments, its dead-letter channel. */
export type PipelineContext = {
  rt: Runtime;
  name: string;
  args: readonly string[];
  deadLetter: Channel<DeadLetter>;
  signal: AbortSignal;
};

/** A sense source: a camera or sensor source from sensors/, or anything that starts and stops. */
export type Source = { start(): unknown; stop(): Promise<void>; stats?(): unknown };

export type SenseStage<I> = {
  /** Builds the sources; each puts into `sink`, the `<pipeline>.sense` channel. */
  sources: (sink: Channel<I>, ctx: PipelineContext) => Source | Source[] | Promise<Source | Source[]>;
  channel?: ChannelOptions<I>;
};

export type PrioritizeStage<I> = {
  /** Items held at most (default 16); when full, the lowest priority is shed. */
  capacity?: number;
  /** Items older than this are dropped, never processed. */
  maxAgeMs?: number;
  /** Higher is more urgent (e.g. a cheap motion score). */
  priority?: (item: Item<I>) => number;
  /** The source of an item, for weighted fairness (e.g. the camera id). */
  key?: (item: Item<I>) => string;
  weights?: Record<string, number>;
};

export type ErrorPolicy = "skip" | "dead-letter" | "stop";

export type ProcessStage<I, O> = {
  /** The work: returns the event to act on, or undefined for nothing. The event keeps the item's ts. */
  fn: (item: Item<I>, signal: AbortSignal) => Promise<O | undefined>;
  /** Items processed at once. Default 1. */
  concurrency?: number;
  timeoutMs?: number;
  /** What a failed or timed-out item becomes: counted and skipped (default), dead-lettered, or the end of the pipeline. */
  onError?: ErrorPolicy;
  channel?: ChannelOptions<O>;
};

export type ActuateStage<O> = {
  actuators: (ctx: PipelineContext) => Actuator<O>[] | Promise<Actuator<O>[]>;
  /** Events acted on at once. Default 4. */
  concurrency?: number;
};

export type PipelineDefinition<I, O> = {
  readonly kind: "pts.pipeline";
  name: string;
  sense: SenseStage<I>;
  prioritize?: PrioritizeStage<I>;
  process: ProcessStage<I, O>;
  actuate?: ActuateStage<O>;
};

/** What acting on one event came to, stored in `<pipeline>.actuate`. */
export type ActuationRecord = { latencyMs: number; outcomes: Record<string, Outcome> };

export type PipelineStats = {
  name: string;
  stages: {
    sense: { out: number; sources: unknown[] };
    prioritize: { in: number; out: number; depth: number; dropped: Record<DropReason, number> };
    process: { in: number; out: number; empty: number; errors: number; timeouts: number; durationMs: Percentiles };
    actuate: { in: number; ok: number; failed: number; latencyMs: Percentiles };
  };
};
