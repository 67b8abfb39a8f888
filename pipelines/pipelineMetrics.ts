/**
 * Pipeline metrics: stages (in, out, dropped by reason, queue depth, errors, duration),
 * end-to-end latency from the sensor's timestamp to the action, sensors and actuators.
 *
 * Everything is read at scrape time (collectors, registered once per runtime for all its
 * pipelines): counters from the pipelines' own stats, latency distributions from the
 * LatencyHistograms each pipeline and actuator feeds with plain-number updates. So an item
 * through a pipeline makes no prom-client call.
 */
import type { Actuator } from "../actuators/index.ts";
import { type HistogramSamples, type Labels, LatencyHistogram, type Metrics, type Samples } from "../runtime/index.ts";
import { liveViewPipelines } from "./liveViewPipelines.ts";
import type { PipelineStats, Source } from "./types.ts";

/** A pipeline as its metrics see it; `stats` is read on every scrape, so it must be cheap (no percentiles). */
export type Watched = { stats: () => PipelineStats; sources: () => Source[]; actuators: () => Actuator<unknown>[] };
/** The distributions a pipeline feeds as items pass, in seconds. */
export type PipelineHistograms = { duration: LatencyHistogram; endToEnd: LatencyHistogram };
type Entry = Watched & { histograms: PipelineHistograms };

const watched = new WeakMap<Metrics, Set<Entry>>();

/** Adds a pipeline to its runtime's metrics; returns the histograms to feed and a remover. */
export function watchPipeline(m: Metrics, p: Watched): { histograms: PipelineHistograms; unwatch: () => void } {
  let set = watched.get(m);
  if (!set) {
    set = new Set();
    watched.set(m, set);
    register(m, set);
  }
  const entry: Entry = { ...p, histograms: { duration: new LatencyHistogram(), endToEnd: new LatencyHistogram() } };
  set.add(entry);
  return { histograms: entry.histograms, unwatch: () => set.delete(entry) };
}

function register(m: Metrics, set: Set<Entry>): void {
  liveViewPipelines(m);
  m.histogram("pts_stage_duration_seconds", "Time the process stage spent on an item.", ["pipeline", "stage"], (): HistogramSamples =>
    [...set].map((p) => [{ pipeline: p.stats().name, stage: "process" }, p.histograms.duration]),
  );
  m.histogram("pts_end_to_end_latency_seconds", "From the sensor's timestamp to the action (or to the event, without actuators).", ["pipeline"], (): HistogramSamples =>
    [...set].map((p) => [{ pipeline: p.stats().name }, p.histograms.endToEnd]),
  );
  const each = (read: (p: Entry, s: PipelineStats) => [Labels, number][]) => (): Samples => [...set].flatMap((p) => read(p, p.stats()));
  m.counter("pts_stage_items_in_total", "Items that entered a stage.", ["pipeline", "stage"], each((_p, s) => [
    [{ pipeline: s.name, stage: "sense" }, s.stages.sense.out],
    [{ pipeline: s.name, stage: "prioritize" }, s.stages.prioritize.in],
    [{ pipeline: s.name, stage: "process" }, s.stages.process.in],
    [{ pipeline: s.name, stage: "actuate" }, s.stages.actuate.in],
  ]));
  m.counter("pts_stage_items_out_total", "Items a stage passed on (events, for process; successful actions, for actuate).", ["pipeline", "stage"], each((_p, s) => [
    [{ pipeline: s.name, stage: "sense" }, s.stages.sense.out],
    [{ pipeline: s.name, stage: "prioritize" }, s.stages.prioritize.out],
    [{ pipeline: s.name, stage: "process" }, s.stages.process.out],
    [{ pipeline: s.name, stage: "actuate" }, s.stages.actuate.ok],
  ]));
  m.counter("pts_stage_dropped_total", "Items a stage dropped, by reason.", ["pipeline", "stage", "reason"], each((_p, s) => [
    [{ pipeline: s.name, stage: "prioritize", reason: "stale" }, s.stages.prioritize.dropped.stale],
    [{ pipeline: s.name, stage: "prioritize", reason: "shed" }, s.stages.prioritize.dropped.shed],
  ]));
  m.counter("pts_stage_errors_total", "Items a stage failed on (timeouts included), and failed actions.", ["pipeline", "stage", "reason"], each((_p, s) => [
    [{ pipeline: s.name, stage: "process", reason: "error" }, s.stages.process.errors - s.stages.process.timeouts],
    [{ pipeline: s.name, stage: "process", reason: "timeout" }, s.stages.process.timeouts],
    [{ pipeline: s.name, stage: "actuate", reason: "failed" }, s.stages.actuate.failed],
  ]));
  m.gauge("pts_stage_queue_depth", "Items waiting in the prioritize queue.", ["pipeline", "stage"], each((_p, s) => [[{ pipeline: s.name, stage: "prioritize" }, s.stages.prioritize.depth]]));

  const sensors = () => [...set].flatMap((p) => p.sources().map((src) => src.stats?.() as SourceCounters | undefined).filter((c): c is SourceCounters => c !== undefined));
  m.counter("pts_sensor_items_total", "Frames or readings a sensor put.", ["sensor"], () => sensors().map((c) => [{ sensor: sensorName(c) }, c.frames ?? c.readings ?? 0]));
  m.counter("pts_sensor_bytes_total", "Bytes of frames or readings a sensor put.", ["sensor"], () => sensors().map((c) => [{ sensor: sensorName(c) }, c.bytes ?? 0]));
  m.counter("pts_sensor_errors_total", "Sensor errors, by reason (bad frames and lines included).", ["sensor", "reason"], () =>
    sensors().flatMap((c) => Object.entries(c.errors ?? {}).map(([reason, n]) => [{ sensor: sensorName(c), reason }, n ?? 0] as [Labels, number])),
  );
  m.counter("pts_sensor_reconnects_total", "Sensor reconnects after a failure or an end.", ["sensor"], () => sensors().map((c) => [{ sensor: sensorName(c) }, c.reconnects ?? 0]));

  const actuators = () => [...set].flatMap((p) => p.actuators().map((a) => a.stats()));
  m.counter("pts_actuator_outcomes_total", "Items an actuator handled, by outcome.", ["actuator", "outcome"], () =>
    actuators().flatMap((s) => Object.entries(s.outcomes).map(([outcome, n]) => [{ actuator: s.name, outcome }, n] as [Labels, number])),
  );
  m.histogram("pts_actuator_latency_seconds", "From handle() to the outcome, retries included.", ["actuator"], (): HistogramSamples =>
    [...set].flatMap((p) => p.actuators().flatMap((a) => (a.latencyHistogram ? [[{ actuator: a.name }, a.latencyHistogram] as const] : []))),
  );
  m.counter("pts_actuator_retries_total", "Attempts after the first.", ["actuator"], () => actuators().map((s) => [{ actuator: s.name }, s.retries]));
}

type SourceCounters = { camera?: string; name?: string; frames?: number; readings?: number; bytes?: number; reconnects?: number; errors?: Record<string, number | undefined> };

function sensorName(c: SourceCounters): string {
  return c.camera ?? c.name ?? "sensor";
}
