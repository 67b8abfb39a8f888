/**
 * The pipelines layer's public entry: pipeline definitions, the runner, the prioritize queue
 * and the stage operators.
 */
export { pipeline, isPipeline } from "./pipeline.ts";
export { runPipeline, type RunOptions, type RunningPipeline } from "./runPipeline.ts";
export { PriorityQueue, type QueueOptions, type DropReason } from "./priorityQueue.ts";
export { processQueued, type Processed, type ProcessQueuedOptions } from "./operators/processQueued.ts";
export { withTimeout } from "./operators/withTimeout.ts";
export { LatencyWindow, type Percentiles } from "./latency.ts";
export { loadScript, type PipelineScript, type ImperativeScript } from "./loadScript.ts";
export { PIPELINE_ERROR_CODES, StageTimeoutError, PipelineStoppedError, PipelineScriptError } from "./errors.ts";
export type * from "./types.ts";
export { STAGES } from "./types.ts";
