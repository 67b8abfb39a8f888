/**
 * loadScript: loads a pipeline script (.ts or .js, no build step: TypeScript loads through
 * tsx) and tells what it exports: a pipeline({...}) definition, or an imperative function
 * `(rt, args, signal) => Promise<void>` running lookup/get/put loops. Anything else is
 * PipelineScriptError.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Runtime } from "../channels/index.ts";
import { PipelineScriptError } from "./errors.ts";
import { isPipeline } from "./pipeline.ts";
import type { PipelineDefinition } from "./types.ts";

export type ImperativeScript = (rt: Runtime, args: readonly string[], signal: AbortSignal) => Promise<void>;
export type PipelineScript = { kind: "pipeline"; def: PipelineDefinition<unknown, unknown> } | { kind: "imperative"; run: ImperativeScript };

export async function loadScript(path: string, args: readonly string[] = []): Promise<PipelineScript> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; pipeline?: unknown; create?: unknown };
  // A script may build its definition from its arguments: export function create(args).
  const exported = typeof mod.create === "function" ? await (mod.create as (a: readonly string[]) => unknown)(args) : (mod.default ?? mod.pipeline);
  if (isPipeline(exported)) return { kind: "pipeline", def: exported };
  if (typeof exported === "function") return { kind: "imperative", run: exported as ImperativeScript };
  throw new PipelineScriptError(path, exported === undefined ? "nothing as default" : `a ${typeof exported}`);
}
