/**
 * The errors of the pipelines layer.
 */
import { PtsError } from "../runtime/index.ts";

/** Every code of the pipelines layer: description and how to solve. Keys equal codes. */
export const PIPELINE_ERROR_CODES = {
  PTS_STAGE_TIMEOUT: {
    description: "A pipeline stage's function ran past its timeoutMs; the item is handled by the stage's error policy.",
    solve: "Raise the stage's timeoutMs, or make the function faster (or lower its work per item).",
  },
  PTS_PIPELINE_STOPPED: {
    description: "A pipeline stopped because its process stage failed under the \"stop\" error policy.",
    solve: "See the cause; use onError \"skip\" or \"dead-letter\" to keep going past bad items.",
  },
  PTS_PIPELINE_SCRIPT: {
    description: "A pipeline script that exports neither a pipeline({...}) definition nor a function (rt, args) => Promise<void>.",
    solve: "Export default pipeline({...}) or export default async (rt, args) => { ... } from the script.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

export class StageTimeoutError extends PtsError {
  static readonly code = "PTS_STAGE_TIMEOUT";
  constructor(stage: string, timeoutMs: number) {
    super(StageTimeoutError.code, `stage ${stage} took longer than its timeoutMs ${timeoutMs}; the item goes to the stage's error policy`);
  }
}

export class PipelineStoppedError extends PtsError {
  static readonly code = "PTS_PIPELINE_STOPPED";
  constructor(pipeline: string, cause: unknown) {
    super(PipelineStoppedError.code, `pipeline ${JSON.stringify(pipeline)} stopped: its process stage failed under the "stop" policy (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

export class PipelineScriptError extends PtsError {
  static readonly code = "PTS_PIPELINE_SCRIPT";
  constructor(script: string, got: string) {
    super(PipelineScriptError.code, `${script} exports ${got}; export default pipeline({...}) or an async function (rt, args) => { ... }`);
  }
}
