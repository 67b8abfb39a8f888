/**
 * Recovery: run by Rvm.open before anything is mapped. Replays the committed records of every
 * log file into the segment files, then starts a fresh log epoch.
 *
 * Steps, and why each crash point is safe:
 *   1. Read the log files in epoch order up to the first torn or corrupt record (log.ts,
 *      validity rules), copying each valid record's ranges into the segment images.
 *      Corruption is reported in the RecoveryReport, never thrown, never applied.
 *   2. Write the images back and fsync the segment files (replay.ts). A crash here replays
 *      the same records again next time: replay is idempotent.
 *   3. Create the next epoch's log file whose first sequence number follows the last valid
 *      record, durably (file and directory fsynced). A crash here leaves the old files plus an
 *      empty new one that continues their sequence: replayed again, harmlessly.
 *   4. Delete the old log files (this also cuts any torn tail), then fsync the directory.
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

export interface Recovered {
  report: RecoveryReport;
  log: LogWriter;
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
  await images.writeBack();

  let log: LogWriter;
  const only = logs.length === 1 ? scan.files[0] : undefined;
  if (only !== undefined && only.firstSeq > 0 && scan.records === 0 && scan.stoppedAt === null) {
    const fd = fs.openSync(join(dir, only.file), "r+");
    log = new LogWriter(dir, fd, only.epoch, FILE_HEADER_BYTES, only.firstSeq, spillBytes, stats);
  } else {
    const epoch = (logs.at(-1)?.epoch ?? 0) + 1;
    const fd = await createLogFile(dir, epoch, scan.lastSeq + 1);
    log = new LogWriter(dir, fd, epoch, FILE_HEADER_BYTES, scan.lastSeq + 1, spillBytes, stats);
    for (const l of logs) await unlinkIfExists(join(dir, l.file));
    if (logs.length > 0) await syncDir(dir);
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
  return { report, log };
}
