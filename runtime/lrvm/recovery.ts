/**
 * Recovery: run by Rvm.open before anything is mapped. Replays the committed records of every
 * log file into the segment files, then starts a fresh log epoch.
 *
 * Steps, and why each crash point is safe:
 *   1. Read the log files in epoch order up to the first torn or corrupt record (log.ts,
 *      validity rules), copying each valid record's ranges into the segment images.
 *      Corruption is reported in the RecoveryReport, never thrown, never applied.
 *   2. Write the images back to the segment files. A crash here replays the same records
 *      again next time: replay is idempotent.
 *   3. Create the next epoch's log file, whose first sequence number follows the last valid
 *      record, durably (file and directory fsynced). Commits append to it from now on.
 *   4. Fast path, when every log file read continues the sequence (at most the last one has a
 *      torn tail): the old files are KEPT and the segment files are not fsynced here. The
 *      segment files already hold the replayed values (so map() reads them), and the old files
 *      still hold them durably; the next truncation replays them again, fsyncs the segments,
 *      and only then deletes them, like any older epoch (truncation.ts). A torn tail left in
 *      the newest kept file is superseded by the new file, which continues the sequence
 *      right after the last valid record (log.ts, cross-file rule). This keeps recovery at the
 *      speed of reading the log.
 *      Slow path, otherwise (a damaged header, files that do not continue the sequence, or
 *      MAX_KEPT_FILES files already):
 *      fsync the segment files, then delete every old file (they would block the chain), then
 *      fsync the directory. A crash before the deletions replays them again, harmlessly.
 * A directory whose only log file is empty and clean is reused as is: a clean restart writes
 * nothing.
 */
import fs from "node:fs";
import { join } from "node:path";
import { FILE_HEADER_BYTES } from "./log.ts";
import { LogWriter, createLogFile } from "./log-writer.ts";
import { SegmentImages, listLogFiles, scanLogs } from "./replay.ts";
import type { SegmentTable } from "./segment-table.ts";
import { syncDir, unlinkIfExists } from "./fsync.ts";
import type { ProgressCallback, RecoveryReport, RvmStats } from "./types.ts";

/** With this many log files, recovery takes the slow path and deletes them (bounds the files kept across restarts). */
const MAX_KEPT_FILES = 8;

export interface Recovered {
  report: RecoveryReport;
  log: LogWriter;
  /** Bytes of older log files kept (fast path) until the next truncation. */
  keptBytes: number;
}

export async function recover(
  dir: string,
  table: SegmentTable,
  spillBytes: number,
  stats: RvmStats,
  onProgress?: ProgressCallback,
): Promise<Recovered> {
  const t0 = performance.now();
  const logs = await listLogFiles(dir);
  const images = new SegmentImages(dir, table);
  const progress = onProgress ? (done: number, total: number) => onProgress({ phase: "recover", done, total }) : undefined;
  const scan = await scanLogs(dir, logs, images.apply, progress);
  const stop = scan.stoppedAt;
  const chained =
    logs.length < MAX_KEPT_FILES && (stop === null || (stop.file === logs.at(-1)?.file && stop.reason !== "header" && stop.reason !== "gap"));

  let log: LogWriter;
  let keptBytes = 0;
  const only = logs.length === 1 ? scan.files[0] : undefined;
  if (only !== undefined && only.firstSeq > 0 && scan.records === 0 && stop === null) {
    const fd = fs.openSync(join(dir, only.file), "r+");
    log = new LogWriter(dir, fd, only.epoch, FILE_HEADER_BYTES, only.firstSeq, spillBytes, stats);
  } else {
    await images.writeBack(!chained);
    const epoch = (logs.at(-1)?.epoch ?? 0) + 1;
    const fd = await createLogFile(dir, epoch, scan.lastSeq + 1);
    log = new LogWriter(dir, fd, epoch, FILE_HEADER_BYTES, scan.lastSeq + 1, spillBytes, stats);
    if (chained) {
      keptBytes = scan.totalBytes;
    } else {
      for (const l of logs) await unlinkIfExists(join(dir, l.file));
      if (logs.length > 0) await syncDir(dir);
    }
  }
  const report: RecoveryReport = {
    records: scan.records,
    bytes: scan.bytes,
    files: logs.length,
    lastSeq: scan.lastSeq,
    skippedRanges: images.skippedRanges,
    stoppedAt: scan.stoppedAt,
    ms: performance.now() - t0,
  };
  return { report, log, keptBytes };
}
