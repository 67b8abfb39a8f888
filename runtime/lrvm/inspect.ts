/**
 * inspect(dir): a read-only look at an LRVM directory, for `pts lrvm inspect` and for tests.
 *
 * Guarantee: it opens every file read-only and writes nothing, so it is safe on a directory
 * that a live Rvm (in this or another process) is using; the figures are then a snapshot.
 * It validates the log exactly as recovery would (log.ts rules), without applying it.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { readLock } from "./lock.ts";
import { listLogFiles, scanLogs } from "./replay.ts";
import { SegmentTable, segmentPath } from "./segment-table.ts";
import type { InspectReport, InspectSegment, ProgressCallback } from "./types.ts";

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

export async function inspect(dir: string, options: { onProgress?: ProgressCallback } = {}): Promise<InspectReport> {
  const abs = resolve(dir);
  await stat(abs); // a missing directory is an error here, not created
  const table = await SegmentTable.load(abs);
  const segments: InspectSegment[] = [];
  for (const [name, id] of [...table.byName].sort((a, b) => a[0].localeCompare(b[0]))) {
    segments.push({ name, id, size: await fileSize(segmentPath(abs, name)) });
  }
  const onProgress = options.onProgress;
  const scan = await scanLogs(abs, await listLogFiles(abs), null, onProgress ? (done, total) => onProgress({ phase: "inspect", done, total }) : undefined);
  return {
    dir: abs,
    segments,
    logs: scan.files.map(({ file, epoch, firstSeq, bytes, records, lastSeq }) => ({ file, epoch, firstSeq, bytes, records, lastSeq })),
    logBytes: scan.totalBytes,
    records: scan.records,
    lastSeq: scan.lastSeq,
    torn: scan.stoppedAt,
    lock: await readLock(abs),
  };
}
