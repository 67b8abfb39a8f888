/**
 * Epoch truncation: applies the log to the segment files and reclaims it, while commits go on.
 *
 * Steps, and why each crash point is safe:
 *   1. Rotate (log-writer.ts): the current file is fdatasynced in full, then the next epoch's
 *      file is created durably; from here on commits append to the new file.
 *   2. Replay every older epoch's file into the segment images and fsync the segment files
 *      (replay.ts). A crash during or after this leaves the old files in place: recovery
 *      replays them (idempotent), then the new file, whose first sequence number continues
 *      theirs.
 *   3. Only then delete the older files, and fsync the directory. A crash between deletions
 *      leaves a suffix of old files whose records are already in the segment files.
 * Truncation never touches mapped buffers: they may hold uncommitted writes.
 */
import { join } from "node:path";
import type { LogWriter } from "./log-writer.ts";
import { SegmentImages, listLogFiles, scanLogs } from "./replay.ts";
import type { SegmentTable } from "./segment-table.ts";
import { syncDir, unlinkIfExists } from "./fsync.ts";
import type { ProgressCallback, TruncateReport } from "./types.ts";

export async function truncateLog(dir: string, table: SegmentTable, log: LogWriter, onProgress?: ProgressCallback): Promise<TruncateReport> {
  const t0 = performance.now();
  await log.rotate();
  const old = (await listLogFiles(dir)).filter((l) => l.epoch < log.epoch);
  const images = new SegmentImages(dir, table);
  const progress = onProgress ? (done: number, total: number) => onProgress({ phase: "truncate", done, total }) : undefined;
  const scan = await scanLogs(dir, old, images.apply, progress);
  const segments = await images.writeBack();
  for (const l of old) await unlinkIfExists(join(dir, l.file));
  if (old.length > 0) await syncDir(dir);
  return { records: scan.records, bytes: scan.bytes, lastSeq: scan.lastSeq, segments, ms: performance.now() - t0 };
}
