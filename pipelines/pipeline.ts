/**
 * pipeline: defines a sense → prioritize → process → actuate pipeline. The definition is inert:
 * `pts run script.ts` (or `runPipeline(rt, def)`) runs it.
 *
 * @example
 *   export default pipeline({
 *     name: "door",
 *     sense: { sources: (sink) => new SyntheticReadings({ channel: sink, rate: 10 }) },
 *     prioritize: { capacity: 8, maxAgeMs: 500 },
 *     process: { fn: async (item) => (item.value.open ? { alert: "door open" } : undefined) },
 *     actuate: { actuators: () => [new LogActuator()] },
 *   });
 */
import { InvalidOptionError } from "../runtime/index.ts";
import type { PipelineDefinition } from "./types.ts";

export function pipeline<I, O>(def: Omit<PipelineDefinition<I, O>, "kind">): PipelineDefinition<I, O> {
  if (typeof def !== "object" || def === null) throw new InvalidOptionError("pipeline", def, "an object { name, sense, prioritize?, process, actuate? }");
  if (typeof def.name !== "string" || !/^[A-Za-z0-9_-]+$/.test(def.name)) throw new InvalidOptionError("pipeline.name", def.name, "letters, digits, '_' or '-' (it names the stage channels)");
  if (typeof def.sense?.sources !== "function") throw new InvalidOptionError("pipeline.sense.sources", def.sense?.sources, "a function (sink, ctx) => sources");
  if (typeof def.process?.fn !== "function") throw new InvalidOptionError("pipeline.process.fn", def.process?.fn, "an async function (item, signal) => event | undefined");
  const c = def.process.concurrency;
  if (c !== undefined && !(Number.isInteger(c) && c >= 1)) throw new InvalidOptionError("pipeline.process.concurrency", c, "a positive integer");
  const policy = def.process.onError;
  if (policy !== undefined && !["skip", "dead-letter", "stop"].includes(policy)) throw new InvalidOptionError("pipeline.process.onError", policy, '"skip", "dead-letter" or "stop"');
  const cap = def.prioritize?.capacity;
  if (cap !== undefined && !(Number.isInteger(cap) && cap >= 1)) throw new InvalidOptionError("pipeline.prioritize.capacity", cap, "a positive integer");
  if (def.actuate !== undefined && typeof def.actuate.actuators !== "function") throw new InvalidOptionError("pipeline.actuate.actuators", def.actuate.actuators, "a function (ctx) => actuators");
  return { ...def, kind: "pts.pipeline" };
}

export function isPipeline(x: unknown): x is PipelineDefinition<unknown, unknown> {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "pts.pipeline";
}
