/**
 * DataFile: one append-only file of item records (format.ts), with its committed watermark and
 * its durable mark.
 *
 * Records are written at `end`, which starts at the watermark: whatever a crash left past the
 * watermark is overwritten, never read. `commit()` moves the watermark to `end` once the
 * caller has made the LRVM state durable; `rewind()` forgets an uncommitted tail after a
 * failed batch. `durable` is how many bytes an fdatasync that completed has covered: never
 * more than what lies on disk, as the bytes past the watermark it may cover are written over.
 * Small writes are preceded by zeros written ahead (`zeroAhead`), which close() and open() cut.
 *
 * Guarantees: `read` returns a record's payload only when its magic, length, timestamp and
 * checksum all match what the index says; otherwise it returns undefined (damage).
 */
import fs from "node:fs";
import { RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT, RECORD_MAGIC, RECORD_TS_AT } from "./format.ts";
import { recordCrc } from "./recordCrcs.js";
import { INLINE_SYNC_MAX_MS } from "../../runtime/lrvm/index.ts";

export type RecordRef = { offset: number; length: number; crc: number };

/**
 * A write of at most this many bytes, and its fdatasync while fdatasync is fast (the last one
 * took under INLINE_SYNC_MAX_MS), run on the calling thread: a sync put's record is a few hundred
 * bytes, and the thread pool's round trips (one for the write, one for the fdatasync) cost
 * more than the work. Checkpoints' megabytes, and any sync on a slow disk, go through the
 * pool, so the event loop never waits long.
 */
const SMALL_WRITE = 64 * 1024;
/** How long the last data-file fdatasync took: a property of the disk, shared by every file. */
let lastSyncMs = 0;
/** Zeros written ahead of small writes at a time (see DataFile.zeroAhead). */
const ZERO_AHEAD = 1024 * 1024;
let zeros: Buffer | undefined;

function writeAt(fd: number, bytes: Buffer, from: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, bytes, from, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

export class DataFile {
  private constructor(
    readonly n: number,
    readonly path: string,
    private readonly fd: number,
    public watermark: number,
    public end: number,
  ) {
    this.durable = watermark;
    this.zeroedTo = watermark;
  }

  /** Bytes written since the last fdatasync. */
  private unsynced = 0;
  /**
   * Bytes known on disk: up to `end` as it was when the last completed fdatasync started. An
   * fdatasync still in flight when the file is rewound or cut covered bytes that are now
   * written over, so it completes without raising this (see `generation`).
   */
  durable: number;

  /** Counts rewinds and cuts: an fdatasync started under another generation moves nothing. */
  private generation = 0;

  /** The file is written (zeros, at least) up to here: a record below it does not change the file's size. */
  private zeroedTo: number;

  /**
   * Opens (creating if needed) and cuts everything past the watermark; returns the bytes cut,
   * not counting a tail of zeros (written ahead, see write()), which holds nothing.
   */
  static open(n: number, path: string, watermark: number): { file: DataFile; cut: number } {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const size = fs.fstatSync(fd).size;
    let cut = 0;
    if (size > watermark) {
      cut = nonZeroEnd(fd, watermark, size) - watermark;
      fs.ftruncateSync(fd, watermark);
    }
    // A file shorter than its watermark lost committed bytes: reads past its end report damage.
    return { file: new DataFile(n, path, fd, watermark, watermark), cut };
  }

  /**
   * Writes bytes [from, to) of `bytes` (whole records) at `end`, then moves `end` past them. The
   * write runs on libuv's thread pool, so puts go on while a checkpoint's megabytes reach the
   * page cache.
   */
  async write(bytes: Buffer, from: number, to: number): Promise<void> {
    const small = to - from <= SMALL_WRITE;
    if (small && this.end + to - from > this.zeroedTo) this.zeroAhead();
    for (let at = from; at < to; ) {
      const n = small ? fs.writeSync(this.fd, bytes, at, to - at, this.end + at - from) : await writeAt(this.fd, bytes, at, to - at, this.end + at - from);
      if (n === 0) throw new Error(`short write to ${this.path}: ${at - from} of ${to - from} bytes (disk full?)`);
      at += n;
    }
    this.end += to - from;
    this.unsynced += to - from;
  }

  /**
   * Writes ZERO_AHEAD bytes of zeros past `end`. An fdatasync after an append that grows the
   * file must commit the filesystem's journal (the new size and blocks); one after a write
   * over blocks already there need not, and the small writes of sync puts then sync faster
   * (sync puts at 64 producers: 1.13 to 1.27 times as many in interleaved runs here; a lone
   * producer and remote durable puts unchanged). The zeros reach
   * the disk with the next fdatasync, once per ZERO_AHEAD bytes, which therefore goes through
   * the thread pool. Bytes past the watermark are cut at open (zeros silently) and at close.
   */
  private zeroAhead(): void {
    const from = Math.max(this.zeroedTo, this.end);
    zeros ??= Buffer.alloc(ZERO_AHEAD);
    for (let at = 0; at < ZERO_AHEAD; ) {
      let n: number;
      try {
        n = fs.writeSync(this.fd, zeros, at, ZERO_AHEAD - at, from + at);
      } catch (err) {
        // No room for the zeros: the record may still fit, and its fdatasync then commits the
        // file's new size too. When it does not fit, its own write reports that.
        if (isNoSpace(err)) return;
        throw err;
      }
      if (n === 0) return;
      at += n;
    }
    this.zeroedTo = from + ZERO_AHEAD;
    this.unsynced += ZERO_AHEAD;
  }

  /**
   * fdatasync of what is written so far. `inPool` sends it to the thread pool however small:
   * for a caller that commits the LRVM transaction meanwhile, on this thread.
   */
  sync(inPool = false): Promise<void> {
    const started = performance.now();
    const unsynced = this.unsynced;
    const end = this.end;
    const generation = this.generation;
    this.unsynced = 0;
    if (!inPool && unsynced <= SMALL_WRITE && lastSyncMs < INLINE_SYNC_MAX_MS) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (err) {
        return Promise.reject(err);
      }
      lastSyncMs = performance.now() - started;
      this.synced(end, generation);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) =>
      fs.fdatasync(this.fd, (err) => {
        lastSyncMs = performance.now() - started;
        if (err) reject(err);
        else {
          this.synced(end, generation);
          resolve();
        }
      }),
    );
  }

  /**
   * Writes bytes [from, to) again, as they read back, then fdatasyncs: an open-time repair
   * (format.ts, section 4) before a durable mark moves over them. After a failed writeback
   * Linux marks the pages clean while they stay readable, so an fdatasync alone may write
   * nothing and succeed; written again, the bytes reach the disk, or the fdatasync fails.
   */
  async resync(from: number, to: number): Promise<void> {
    const block = Buffer.allocUnsafe(Math.min(ZERO_AHEAD, Math.max(0, to - from)));
    for (let at = from; at < to; ) {
      const n = fs.readSync(this.fd, block, 0, Math.min(block.byteLength, to - at), at);
      if (n === 0) break;
      for (let done = 0; done < n; ) {
        const w = fs.writeSync(this.fd, block, done, n - done, at + done);
        if (w === 0) throw new Error(`short write to ${this.path} at ${at + done} (disk full?)`);
        done += w;
      }
      this.unsynced += n;
      at += n;
    }
    await this.sync(true);
  }

  private synced(end: number, generation: number): void {
    if (generation === this.generation && end > this.durable) this.durable = end;
  }

  /** Cuts the file at `to` (an open-time repair, format.ts section 4): its new watermark and end. */
  cut(to: number): void {
    fs.ftruncateSync(this.fd, to);
    this.generation++;
    this.watermark = this.end = this.durable = this.zeroedTo = to;
  }

  commit(): void {
    this.watermark = this.end;
  }

  rewind(): void {
    this.generation++;
    this.end = this.watermark;
    if (this.durable > this.end) this.durable = this.end;
  }

  /**
   * The payload of the record at ref, or undefined when the bytes there are not that record.
   * Records up to `end` are readable: an index entry can point past the watermark only while the
   * transaction that publishes it is committing, after its records were written and synced.
   */
  read(ref: RecordRef, ts: number): Buffer | undefined {
    const bytes = this.readSpan(ref.offset, ref.length);
    return bytes && recordPayload(bytes, 0, ref, ts);
  }

  /** length bytes at offset, or undefined when they are not all there. */
  readSpan(offset: number, length: number): Buffer | undefined {
    if (offset + length > this.end) return undefined;
    const bytes = Buffer.allocUnsafe(length);
    let got = 0;
    try {
      while (got < length) {
        const n = fs.readSync(this.fd, bytes, got, length - got, offset + got);
        if (n === 0) return undefined;
        got += n;
      }
    } catch {
      return undefined;
    }
    return bytes;
  }

  /** Closes the file, without the zeros written ahead past its watermark. */
  close(): void {
    if (this.zeroedTo > this.watermark) fs.ftruncateSync(this.fd, this.watermark);
    fs.closeSync(this.fd);
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/**
 * Where the last nonzero byte of [from, to) ends, `from` when there is none, read a block at a
 * time: what a crash left past a watermark is an uncommitted batch followed by zeros written
 * ahead, and only the batch is worth reporting.
 */
function nonZeroEnd(fd: number, from: number, to: number): number {
  const block = Buffer.allocUnsafe(Math.min(ZERO_AHEAD, to - from));
  let end = from;
  for (let at = from; at < to; ) {
    const n = fs.readSync(fd, block, 0, Math.min(block.byteLength, to - at), at);
    if (n === 0) break;
    for (let i = n - 1; i >= 0; i--) {
      if (block[i] !== 0) {
        end = at + i + 1;
        break;
      }
    }
    at += n;
  }
  return end;
}

/**
 * The payload of the record that `span` holds at `at`, when its magic, length, timestamp and
 * checksum all match what the index says (ref, ts); otherwise undefined (damage).
 */
export function recordPayload(span: Buffer, at: number, ref: RecordRef, ts: number): Buffer | undefined {
  if (ref.length < RECORD_HEADER || at + ref.length > span.byteLength) return undefined;
  const bytes = span.subarray(at, at + ref.length);
  if (bytes.readUInt32LE(0) !== RECORD_MAGIC) return undefined;
  if (bytes.readUInt32LE(RECORD_LENGTH_AT) !== ref.length - RECORD_HEADER) return undefined;
  if (bytes.readDoubleLE(RECORD_TS_AT) !== ts) return undefined;
  const crc = bytes.readUInt32LE(RECORD_CRC_AT);
  if (crc !== ref.crc) return undefined;
  if (recordCrc(bytes, 0, ref.length - RECORD_HEADER) !== crc) return undefined;
  return bytes.subarray(RECORD_HEADER);
}
