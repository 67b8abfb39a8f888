/**
 * The log writer: appends records to the current log file, with group commit and epoch
 * rotation. The record and file formats are in log.ts.
 *
 * Records are encoded straight into one growable pending buffer (no allocation per commit)
 * and written to the file in one write per batch. Group commit: a flush-mode commit joins the
 * batch of the next fdatasync; commits that arrive while an fdatasync is in flight all share
 * the following one, so N concurrent committers cost about two fsyncs per round, not N. A
 * batch of one waiter has no group to form: while fdatasync is fast (the last one took under
 * INLINE_SYNC_MAX_MS), it is written and fdatasynced synchronously on this thread, which spares
 * a lone committer the thread pool's round trip; on a slow disk it goes through the pool, so
 * that the event loop (a host's network, a pipeline's stages) never stalls for long.
 *
 * Guarantees:
 * - Records reach the file in sequence order; a promise returned by `finish(true)` or
 *   `sync()` resolves only after an fdatasync that started after its record was written.
 * - No-flush records stay in memory until the next sync, or until `spillBytes` of them pile
 *   up, when they are written (not synced) to bound memory. Either way a crash loses only a
 *   suffix of records.
 * - Every WRITEBACK_SPILLS spills, a background fdatasync starts and nothing waits for it:
 *   the disk writes spilled records while commits go on, so the next sync finds little left to
 *   do. It never resolves a commit. The kernel reports a write error once per open file, so
 *   a background fdatasync running at the same time as a sync could take the sync's error:
 *   a sync therefore resolves only after every background fdatasync started before it
 *   returned has ended, and no error was seen.
 * - `rotate()` makes the current file durable in full, then creates the next epoch's file
 *   (header fdatasynced, directory fsynced) before any later record is written to it.
 * - After a write or sync error every later commit is refused with EIO: what is on disk is
 *   then unknown, and recovery at the next open decides.
 */
import fs from "node:fs";
import { join } from "node:path";
import { RvmError } from "./errors.ts";
import { FILE_HEADER_BYTES, RECORD_HEADER_BYTES, encodeFileHeader, logFileName, sealRecord, viewOf, writeRecordHeader } from "./log.ts";
import { fdatasync, syncDir } from "./fsync.ts";
import type { RvmStats } from "./types.ts";

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One shared settled promise for every no-flush commit: no allocation on that path. */
const RESOLVED: Promise<void> = Promise.resolve();
const INITIAL_BUFFER_BYTES = 64 << 10;
/** Spills between background fdatasyncs: a few MiB per fdatasync with the default spillBytes. */
const WRITEBACK_SPILLS = 4;
/**
 * The longest fdatasync a lone write may wait for on the calling thread (a lone commit here, a
 * small data-file write in channels/persistence). A fast disk (0.2 ms here) costs less than
 * the thread pool's round trip; a slower one would stall the event loop.
 */
export const INLINE_SYNC_MAX_MS = 1;

/** Creates the log file of `epoch` durably and returns its fd. */
export async function createLogFile(dir: string, epoch: number, firstSeq: number): Promise<number> {
  const fd = fs.openSync(join(dir, logFileName(epoch)), "wx", 0o644);
  try {
    fs.writeSync(fd, encodeFileHeader({ epoch, firstSeq }), 0, FILE_HEADER_BYTES, 0);
    await fdatasync(fd);
    await syncDir(dir);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

export class LogWriter {
  /** Sequence number the next record gets. */
  nextSeq: number;
  /** Sequence number of the last record written to the current file. */
  private writtenSeq: number;
  /** Bytes of the current file. */
  size: number;
  private buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  /** A DataView over `buf`, for the header fields (see viewOf). */
  private dv = viewOf(this.buf);
  /** Bytes of finished records in `buf`, not yet written. */
  private used = 0;
  private recordAt = 0;
  private recordLength = 0;
  /** Bytes were written since the last fdatasync started. */
  private dirty = false;
  private syncing = false;
  private scheduled = false;
  private rotating = false;
  private next: Deferred | null = null;
  /** Callers waiting on `next`. */
  private waiters = 0;
  /** Spills since the last background fdatasync started. */
  private spills = 0;
  /** Background fdatasyncs in flight. */
  private writebacks = 0;
  /** Settles once every background fdatasync started so far has ended. */
  private writebacksEnded: Promise<void> = RESOLVED;
  private inflight: Promise<void> | null = null;
  private rotations: Deferred[] = [];
  private failed: RvmError | null = null;
  /** How long the last waited-for fdatasync took: a lone commit syncs on this thread only while it is short. */
  private lastSyncMs = 0;
  /** Called after bytes were written, with the current file size. */
  onWritten: ((size: number) => void) | null = null;

  constructor(
    private readonly dir: string,
    private fd: number,
    public epoch: number,
    size: number,
    nextSeq: number,
    private readonly spillBytes: number,
    readonly stats: RvmStats,
  ) {
    this.size = size;
    this.nextSeq = nextSeq;
    this.writtenSeq = nextSeq - 1;
  }

  get error(): RvmError | null {
    return this.failed;
  }

  /**
   * Starts a record of `length` bytes with `ranges` ranges and returns the buffer offset where
   * its ranges go; write them into `this.buffer`, then call `finish()`. Must not yield between.
   */
  reserve(length: number, ranges: number): number {
    const need = this.used + length;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
      this.dv = viewOf(bigger);
    }
    this.recordAt = this.used;
    this.recordLength = length;
    writeRecordHeader(this.dv, this.used, length, this.nextSeq, ranges);
    return this.used + RECORD_HEADER_BYTES;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** A DataView over `buffer`, for the range headers. */
  get view(): DataView {
    return this.dv;
  }

  /** Seals the reserved record; flush: resolves once it is on disk. */
  finish(flush: boolean): Promise<void> {
    sealRecord(this.dv, this.recordAt, this.recordLength);
    this.used += this.recordLength;
    this.nextSeq++;
    if (flush) {
      this.stats.flushCommits++;
      return this.sync();
    }
    this.stats.lazyCommits++;
    if (this.used >= this.spillBytes && !this.rotating && !this.failed) {
      try {
        this.writePending();
      } catch (err) {
        return Promise.reject(this.fail(err));
      }
      if (++this.spills === WRITEBACK_SPILLS) this.writeback();
    }
    return RESOLVED;
  }

  /** Resolves once every record finished so far is on disk. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.used === 0 && !this.dirty && this.next === null) return this.inflight ?? RESOLVED;
    if (this.next === null) this.next = deferred();
    this.waiters++;
    this.schedule();
    return this.next.promise;
  }

  /** Makes the current file durable in full, then switches to a new file for the next epoch. */
  rotate(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const d = deferred();
    this.rotations.push(d);
    this.schedule();
    return d.promise;
  }

  private schedule(): void {
    if (this.syncing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every commit of this turn of the event loop, I/O callbacks
    // included, joins the batch before the pump decides whether there is a group; after an
    // fsync, the committers it just released commit again first.
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.syncing || (this.next === null && this.rotations.length === 0)) return;
    // A background fdatasync in flight may hold an error this thread has not seen yet.
    if (this.waiters === 1 && this.rotations.length === 0 && this.writebacks === 0 && this.lastSyncMs < INLINE_SYNC_MAX_MS) {
      this.syncAlone();
      return;
    }
    const running = this.run();
    // A write that fails at once ends run() before it returns: nothing is in flight then.
    if (this.syncing) this.inflight = running;
  };

  /**
   * The batch has one waiter, so no group can form: write and fdatasync on this thread. A lone
   * committer measured about 0.8 of a raw fdatasync loop through the thread pool (fs.fdatasync)
   * and about 0.95 this way. Commits that arrive meanwhile queue in the event loop and form
   * the next batch, as they would behind an fdatasync in flight.
   */
  private syncAlone(): void {
    const batch = this.next as Deferred;
    this.next = null;
    this.waiters = 0;
    // A background fdatasync that failed took the kernel's error report with it: this thread's
    // fdatasync would succeed over records that may not be on disk.
    if (this.failed) {
      batch.reject(this.failed);
      return;
    }
    try {
      this.writePending();
      this.dirty = false;
      const t0 = performance.now();
      fs.fdatasyncSync(this.fd);
      this.synced(t0);
      batch.resolve();
    } catch (err) {
      batch.reject(this.fail(err));
    }
  }

  private writeback(): void {
    this.spills = 0;
    this.writebacks++;
    const ended = new Promise<void>((resolve) =>
      fs.fdatasync(this.fd, (err) => {
        if (err) this.fail(err);
        this.writebacks--;
        resolve();
      }),
    );
    this.writebacksEnded = this.writebacksEnded.then(() => ended);
  }

  private synced(startedAt: number): void {
    this.lastSyncMs = performance.now() - startedAt;
    this.stats.syncLatency.observe(this.lastSyncMs / 1000);
  }

  private async run(): Promise<void> {
    this.syncing = true;
    const batch = this.next;
    this.next = null;
    this.waiters = 0;
    const rotations = this.rotations.splice(0);
    if (rotations.length > 0) this.rotating = true;
    try {
      this.writePending();
      this.dirty = false;
      const t0 = performance.now();
      await fdatasync(this.fd);
      this.synced(t0);
      // Taken now, not before the fdatasync: later ones cannot take its error, and waiting for
      // them could go on for as long as lazy commits keep spilling.
      await this.writebacksEnded;
      if (this.failed) throw this.failed;
      batch?.resolve();
      if (rotations.length > 0) {
        const fd = await createLogFile(this.dir, this.epoch + 1, this.writtenSeq + 1);
        fs.closeSync(this.fd);
        this.fd = fd;
        this.epoch++;
        this.size = FILE_HEADER_BYTES;
        for (const r of rotations) r.resolve();
      }
    } catch (err) {
      const e = this.fail(err);
      batch?.reject(e);
      for (const r of rotations) r.reject(e);
      // Commits that joined a later batch while this one failed fail too.
      const later = this.next as Deferred | null;
      later?.reject(e);
      this.next = null;
      this.waiters = 0;
    } finally {
      this.syncing = false;
      this.rotating = false;
      this.inflight = null;
    }
    if (this.next !== null || this.rotations.length > 0) this.schedule();
  }

  private writePending(): void {
    if (this.used === 0) return;
    const n = this.used;
    for (let done = 0; done < n; ) done += fs.writeSync(this.fd, this.buf, done, n - done, this.size + done);
    this.size += n;
    this.used = 0;
    this.dirty = true;
    this.writtenSeq = this.nextSeq - 1;
    this.stats.logBytes += n;
    this.onWritten?.(this.size);
  }

  private fail(err: unknown): RvmError {
    this.failed ??= new RvmError("EIO", `writing the redo log in ${this.dir} failed: ${(err as Error).message}`, { cause: err });
    return this.failed;
  }

  /** Waits for in-flight I/O, makes everything durable, and closes the file. */
  async close(): Promise<void> {
    if (!this.failed) await this.sync().catch(() => undefined);
    while (this.inflight) await this.inflight;
    await this.writebacksEnded;
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      if (!this.failed) throw err; // after an I/O failure the fd may be gone already
    }
  }
}
