/**
 * The client-facing types of the LRVM library: segments, options, reports.
 *
 * Wire and file layouts are not here: they live with the code that reads and writes them
 * (log.ts, segment-table.ts), each documented at the top of its file.
 */
import type { LatencyHistogram } from "../latencyHistogram.ts";


/** A mapped segment: `data` is an in-memory copy of the segment file's first `size` bytes. */
export interface Segment {
  readonly name: string;
  readonly size: number;
  readonly data: Buffer;
}

/** Progress of a long operation, reported in bytes of log processed. */
export interface Progress {
  phase: "recover" | "truncate" | "inspect";
  /** Bytes of log read so far in this phase. */
  done: number;
  /** Bytes of log to read in this phase. */
  total: number;
}

export type ProgressCallback = (progress: Progress) => void;

export interface OpenOptions {
  /** Log size (bytes) above which truncation starts on its own. Default 64 MiB; 0 or Infinity disables. */
  truncateThreshold?: number;
  /** Buffered no-flush commits above this many bytes are handed to the OS (not synced). Default 1 MiB. */
  spillBytes?: number;
  /** Called during recovery and truncation with bytes of log processed. */
  onProgress?: ProgressCallback;
}

export interface BeginOptions {
  /** Keep undo copies of declared ranges so abort() can restore them. Default true. */
  restore?: boolean;
}

export interface CommitOptions {
  /** Resolve once the redo record is on disk (true, the default), or buffer it (false). */
  flush?: boolean;
}

/** Why a log scan stopped before the end of the log files. */
export type StopReason =
  | "torn" // a record or header extends past the end of the file
  | "magic" // a record does not start with the record magic
  | "length" // a record length that is impossible
  | "crc" // the checksum does not match
  | "sequence" // a record's sequence number is not the next one
  | "ranges" // the ranges do not add up to the record length
  | "header" // a log file header is damaged
  | "gap"; // a later log file does not continue the sequence

export interface StopPoint {
  /** Log file name, relative to the directory. */
  file: string;
  /** Byte offset in that file of the first record not used. */
  offset: number;
  reason: StopReason;
  /** Bytes from `offset` to the end of that file, plus the sizes of later log files ignored. */
  ignoredBytes: number;
}

/** What recovery found and did when the Rvm was opened. */
export interface RecoveryReport {
  /** Valid records replayed into the segment files. */
  records: number;
  /** Bytes of valid records replayed. */
  bytes: number;
  /** Log files read. */
  files: number;
  /** Sequence number of the last valid record (0 when the log was never written). */
  lastSeq: number;
  /** Ranges skipped because their segment was destroyed. */
  skippedRanges: number;
  /** Where reading stopped early (a torn or corrupt tail), or null when every byte was valid. */
  stoppedAt: StopPoint | null;
  /** Wall time of recovery, in milliseconds. */
  ms: number;
}

/** What one truncation did. */
export interface TruncateReport {
  records: number;
  bytes: number;
  /** Sequence number of the last record applied. */
  lastSeq: number;
  segments: number;
  ms: number;
}

/** Counters since open; read them for metrics. */
export interface RvmStats {
  flushCommits: number;
  lazyCommits: number;
  /** Each fdatasync of the log that a commit or flush waited for, in seconds (`count` calls, `sum` seconds); background writebacks are not in it. */
  syncLatency: LatencyHistogram;
  /** Bytes appended to the log (all epochs). */
  logBytes: number;
  truncations: number;
}

export interface InspectLog {
  file: string;
  epoch: number;
  firstSeq: number;
  bytes: number;
  records: number;
  lastSeq: number;
}

export interface InspectSegment {
  name: string;
  id: number;
  /** File size in bytes, or null when the file is missing. */
  size: number | null;
}

/** A read-only look at an LRVM directory (nothing is modified). */
export interface InspectReport {
  dir: string;
  segments: InspectSegment[];
  logs: InspectLog[];
  logBytes: number;
  records: number;
  /** Sequence number of the last valid record, 0 when none. */
  lastSeq: number;
  torn: StopPoint | null;
  /** The LOCK file's holder, or null when unlocked. */
  lock: { pid: number; alive: boolean } | null;
}
