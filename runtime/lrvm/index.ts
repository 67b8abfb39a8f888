/**
 * The LRVM library's public entry: recoverable virtual memory after Satyanarayanan et al.,
 * "Lightweight Recoverable Virtual Memory" (SOSP 1993). Import from "pts/runtime/lrvm".
 *
 * @example
 *   import { Rvm, RvmError } from "pts/runtime/lrvm";
 *   const rvm = await Rvm.open(dir);
 *   const seg = await rvm.map("meta", 4096);
 *   const tx = rvm.begin();
 *   tx.setRange(seg, 0, 12);
 *   seg.data.write("hello, world", 0);
 *   await tx.commit();
 */
export { Rvm, DEFAULT_TRUNCATE_THRESHOLD, DEFAULT_SPILL_BYTES } from "./rvm.ts";
export { Transaction } from "./transaction.ts";
export { RvmError, RVM_ERROR_CODES, type RvmErrorCode } from "./errors.ts";
export { inspect } from "./inspect.ts";
export { INLINE_SYNC_MAX_MS } from "./log-writer.ts";
export { syncDir } from "./fsync.ts";
export type {
  Segment,
  OpenOptions,
  BeginOptions,
  CommitOptions,
  Progress,
  ProgressCallback,
  RecoveryReport,
  TruncateReport,
  RvmStats,
  StopPoint,
  StopReason,
  InspectReport,
  InspectLog,
  InspectSegment,
} from "./types.ts";
