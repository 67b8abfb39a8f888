/**
 * Replay: applies log records to the segment files. Shared by recovery (at open) and
 * truncation (while commits go on to a newer log file).
 *
 * Each touched segment file is read once into memory (an "image"), every record's ranges are
 * copied into the images in sequence order, and then only the dirty 4 KiB pages are written
 * back and each file is fsynced. Guarantees: when `writeBack()` resolves, every applied
 * range is in its segment file, and durable there unless `sync` was false (recovery's fast
 * path, which keeps the log files until a truncation has synced the segments). Replay writes absolute values, so applying the same
 * records again (after a crash in the middle) gives the same files: it is idempotent.
 * Ranges of segment ids missing from the table (destroyed segments) are skipped and counted.
 *
 * Images are whole files: a segment is held in memory in full when mapped anyway.
 */
import fs from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { RANGE_HEADER_BYTES, RECORD_HEADER_BYTES, RG_LENGTH, RG_OFFSET, RG_SEGMENT, RH_RANGES, parseLogFileName, readU64, scanLogFile } from "./log.ts";
import type { RecordVisitor } from "./log.ts";
import { segmentPath } from "./segment-table.ts";
import type { SegmentTable } from "./segment-table.ts";
import { fsyncFd } from "./fsync.ts";
import type { StopPoint } from "./types.ts";

const PAGE_BYTES = 4096;

interface Image {
  path: string;
  data: Buffer; // capacity >= length
  length: number;
  dirty: Uint8Array; // one flag per page of `data`
}

export class SegmentImages {
  private readonly images = new Map<number, Image | null>();
  skippedRanges = 0;
  records = 0;
  bytes = 0;
  lastSeq = 0;

  constructor(
    private readonly dir: string,
    private readonly table: SegmentTable,
  ) {}

  private image(id: number): Image | null {
    let img = this.images.get(id);
    if (img !== undefined) return img;
    const name = this.table.byId.get(id);
    if (name === undefined) {
      img = null;
    } else {
      const path = segmentPath(this.dir, name);
      let data: Buffer;
      try {
        // Synchronous: the first touch happens inside the record loop, once per segment.
        data = fs.readFileSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        data = Buffer.alloc(0);
      }
      img = { path, data, length: data.length, dirty: new Uint8Array(Math.ceil(data.length / PAGE_BYTES)) };
    }
    this.images.set(id, img);
    return img;
  }

  private static grow(img: Image, need: number): void {
    const data = Buffer.alloc(Math.max(need, img.data.length * 2));
    img.data.copy(data, 0, 0, img.length);
    const dirty = new Uint8Array(Math.ceil(data.length / PAGE_BYTES));
    dirty.set(img.dirty);
    img.data = data;
    img.dirty = dirty;
  }

  /** A RecordVisitor: copies the record's ranges into the images. Reads fields in place (hot loop). */
  readonly apply: RecordVisitor = (buf, at, length, seq) => {
    const n = buf.readUInt32LE(at + RH_RANGES);
    let p = at + RECORD_HEADER_BYTES;
    for (let i = 0; i < n; i++) {
      const id = buf.readUInt32LE(p + RG_SEGMENT);
      const len = buf.readUInt32LE(p + RG_LENGTH);
      const offset = readU64(buf, p + RG_OFFSET);
      const start = p + RANGE_HEADER_BYTES;
      p = start + len;
      const img = this.image(id);
      if (img === null) {
        this.skippedRanges++;
        continue;
      }
      if (len === 0) continue;
      const end = offset + len;
      if (end > img.data.length) SegmentImages.grow(img, end);
      if (end > img.length) img.length = end;
      buf.copy(img.data, offset, start, p);
      img.dirty.fill(1, Math.floor(offset / PAGE_BYTES), Math.floor((end - 1) / PAGE_BYTES) + 1);
    }
    this.records++;
    this.bytes += length;
    this.lastSeq = seq;
  };

  /**
   * Writes the dirty pages of every image and (unless `sync` is false) fsyncs each file;
   * returns how many files were written.
   */
  async writeBack(sync = true): Promise<number> {
    let files = 0;
    for (const img of this.images.values()) {
      if (img === null) continue;
      const fd = fs.openSync(img.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      try {
        const pages = Math.ceil(img.length / PAGE_BYTES);
        let wrote = false;
        for (let page = 0; page < pages; ) {
          if (img.dirty[page] === 0) {
            page++;
            continue;
          }
          let last = page;
          while (last + 1 < pages && img.dirty[last + 1] === 1) last++;
          const from = page * PAGE_BYTES;
          const to = Math.min((last + 1) * PAGE_BYTES, img.length);
          for (let done = from; done < to; ) done += fs.writeSync(fd, img.data, done, to - done, done);
          wrote = true;
          page = last + 1;
        }
        if (wrote) {
          if (sync) await fsyncFd(fd);
          files++;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return files;
  }
}

export interface LogFileRef {
  file: string;
  epoch: number;
}

/** The log files in `dir`, in epoch order. */
export async function listLogFiles(dir: string): Promise<LogFileRef[]> {
  const logs: LogFileRef[] = [];
  for (const file of await readdir(dir)) {
    const epoch = parseLogFileName(file);
    if (epoch !== null) logs.push({ file, epoch });
  }
  return logs.sort((a, b) => a.epoch - b.epoch);
}

export interface LogScan {
  records: number;
  bytes: number;
  /** Sequence number of the last valid record; the first file's firstSeq - 1 when none; 0 without a readable file. */
  lastSeq: number;
  stoppedAt: StopPoint | null;
  /** Per file: what was read (records 0 for files not read). */
  files: Array<LogFileRef & { firstSeq: number; bytes: number; records: number; lastSeq: number }>;
  /** Total bytes of all the log files. */
  totalBytes: number;
}

/**
 * Reads the log files in order under the cross-file rule of log.ts (a later file must continue
 * the sequence), calling `visit` for every valid record. Never throws on file contents.
 */
export async function scanLogs(
  dir: string,
  logs: LogFileRef[],
  visit: RecordVisitor | null,
  onProgress?: (done: number, total: number) => void,
): Promise<LogScan> {
  const sizes = logs.map((l) => {
    try {
      return fs.statSync(join(dir, l.file)).size;
    } catch {
      return 0;
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const onRead = onProgress ? (n: number) => onProgress((done += n), total) : undefined;
  const out: LogScan = { records: 0, bytes: 0, lastSeq: 0, stoppedAt: null, files: [], totalBytes: total };
  let expected: number | null = null;
  let pending: StopPoint | null = null; // a torn tail that a later file may supersede
  let final: StopPoint | null = null;
  for (const [i, log] of logs.entries()) {
    const size = sizes[i] ?? 0;
    if (final !== null) {
      final.ignoredBytes += size;
      out.files.push({ ...log, firstSeq: 0, bytes: size, records: 0, lastSeq: 0 });
      continue;
    }
    const scan = await scanLogFile(join(dir, log.file), expected, visit, onRead);
    out.files.push({ ...log, firstSeq: scan.header?.firstSeq ?? 0, bytes: scan.fileBytes, records: scan.records, lastSeq: scan.lastSeq });
    if (scan.stop !== null && (scan.stop.reason === "gap" || scan.stop.reason === "header")) {
      final = pending ?? { file: log.file, offset: scan.stop.offset, reason: scan.stop.reason, ignoredBytes: 0 };
      final.ignoredBytes += scan.fileBytes;
      continue;
    }
    pending = null;
    out.records += scan.records;
    out.bytes += scan.bytes;
    out.lastSeq = scan.lastSeq;
    expected = scan.lastSeq + 1;
    if (scan.stop !== null) pending = { file: log.file, offset: scan.stop.offset, reason: scan.stop.reason, ignoredBytes: scan.fileBytes - scan.stop.offset };
  }
  out.stoppedAt = final ?? pending;
  onProgress?.(total, total);
  return out;
}
