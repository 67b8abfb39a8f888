/**
 * Rvm: recoverable virtual memory over one directory, after Satyanarayanan et al.,
 * "Lightweight Recoverable Virtual Memory" (SOSP 1993).
 *
 * A directory holds segment files (`<name>.seg`), the segment table (`segments.tbl`), the
 * redo log files (`redo.<epoch>.log`) and, while open, a `LOCK`. Mapping a segment gives an
 * in-memory copy; transactions declare ranges, write the copy, and commit the new values to
 * the redo log. Truncation later applies the log to the segment files.
 *
 * Guarantees:
 * - Open recovers first: every record whose flush-mode commit resolved is in the segment
 *   files before anything is mapped; no record is ever partly applied.
 * - A crash loses no resolved flush-mode commit, and loses no-flush commits only whole and
 *   only as a suffix of the commit order.
 * - map() returns the committed state of the segment, including commits made through an
 *   earlier mapping of it (the log is truncated first when it holds such records).
 * - map, unmap, destroy, truncate and close run one at a time; commits never wait for them
 *   except for the instant of a log rotation.
 *
 * @example
 *   const rvm = await Rvm.open("./data");
 *   const seg = await rvm.map("meta", 4096);
 *   const tx = rvm.begin();
 *   tx.setRange(seg, 0, 12);
 *   seg.data.write("hello, world", 0);
 *   await tx.commit();
 *   await rvm.close();
 */
import fs from "node:fs";
import { mkdir, open, readFile } from "node:fs/promises";
import { constants as bufferConstants } from "node:buffer";
import { resolve } from "node:path";
import { LatencyHistogram } from "../latencyHistogram.ts";
import { RvmError } from "./errors.ts";
import { acquireLock, releaseLock } from "./lock.ts";
import type { LogWriter } from "./log-writer.ts";
import { recover } from "./recovery.ts";
import type { Recovered } from "./recovery.ts";
import { SegmentTable, segmentPath, validateSegmentName } from "./segment-table.ts";
import { syncDir, unlinkIfExists } from "./fsync.ts";
import { Transaction } from "./transaction.ts";
import type { SegmentState, TransactionHost } from "./transaction.ts";
import { truncateLog } from "./truncation.ts";
import type { BeginOptions, OpenOptions, ProgressCallback, RecoveryReport, RvmStats, Segment, TruncateReport } from "./types.ts";

export const DEFAULT_TRUNCATE_THRESHOLD = 64 << 20;
export const DEFAULT_SPILL_BYTES = 1 << 20;
/** fdatasync times, from a fast NVMe (50 µs) to a stalled disk (seconds). */
const FSYNC_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

function checkOptionalNumber(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "number" || Number.isNaN(value) || value < 0)) {
    throw new RvmError("EINVAL", `option ${name} must be a non-negative number, got ${String(value)}`);
  }
}

export class Rvm {
  /** What recovery found and replayed when this Rvm was opened. */
  readonly recovery: RecoveryReport;
  readonly stats: RvmStats;
  private readonly table: SegmentTable;
  private readonly writer: LogWriter;
  private readonly mapped = new Map<string, SegmentState>();
  /** Transactions begun and not yet ended (a count: a Set add and delete per commit cost measurably). */
  private openTxs = 0;
  /** Last record sequence number per segment id, for segments not mapped now. */
  private readonly lastSeqById = new Map<number, number>();
  /** Records up to this sequence number are in the segment files. */
  private appliedSeq: number;
  private closed = false;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private autoTruncating = false;
  /** Bytes of older log files that recovery kept; they count toward the truncation threshold. */
  private olderLogBytes: number;
  private readonly threshold: number;
  private readonly onProgress: ProgressCallback | undefined;
  private readonly host: TransactionHost;
  /** The error of the last automatic truncation, if it failed (the log then keeps growing). */
  autoTruncateError: unknown = null;

  private constructor(
    readonly dir: string,
    table: SegmentTable,
    recovered: Recovered,
    stats: RvmStats,
    options: OpenOptions,
  ) {
    this.table = table;
    this.recovery = recovered.report;
    this.writer = recovered.log;
    this.stats = stats;
    this.appliedSeq = recovered.report.lastSeq;
    this.olderLogBytes = recovered.keptBytes;
    const threshold = options.truncateThreshold ?? DEFAULT_TRUNCATE_THRESHOLD;
    this.threshold = threshold === 0 ? Infinity : threshold;
    this.onProgress = options.onProgress;
    if (this.threshold !== Infinity) this.writer.onWritten = (size) => this.maybeTruncate(size);
    const writer = this.writer;
    const self = this;
    this.host = {
      stateOf: (seg) => this.stateOf(seg),
      get log() {
        if (writer.error) throw writer.error;
        if (self.closed) throw self.closedError();
        return writer;
      },
      ended: () => void this.openTxs--,
    };
  }

  /** Opens (creating if needed) the directory, takes its lock, and recovers. */
  static async open(dir: string, options: OpenOptions = {}): Promise<Rvm> {
    if (typeof dir !== "string" || dir.length === 0) throw new RvmError("EINVAL", `Rvm.open needs a directory path, got ${String(dir)}`);
    checkOptionalNumber("truncateThreshold", options.truncateThreshold);
    checkOptionalNumber("spillBytes", options.spillBytes);
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new RvmError("EINVAL", "option onProgress must be a function");
    const abs = resolve(dir);
    await mkdir(abs, { recursive: true });
    await acquireLock(abs);
    try {
      await unlinkIfExists(`${abs}/segments.tbl.tmp`);
      const table = await SegmentTable.load(abs);
      const stats: RvmStats = { flushCommits: 0, lazyCommits: 0, syncLatency: new LatencyHistogram(FSYNC_BUCKETS), logBytes: 0, truncations: 0 };
      const recovered = await recover(abs, table, options.spillBytes ?? DEFAULT_SPILL_BYTES, stats, options.onProgress);
      return new Rvm(abs, table, recovered, stats, options);
    } catch (err) {
      await releaseLock(abs);
      throw err;
    }
  }

  /** Bytes in the current log file (header included). */
  get logSize(): number {
    return this.writer.size;
  }

  /** Sequence number of the last committed record (0 when none). */
  get lastSeq(): number {
    return this.writer.nextSeq - 1;
  }

  /** Names of the segments in the directory's table, mapped or not. */
  segmentNames(): string[] {
    return [...this.table.byName.keys()];
  }

  /** True while the Rvm is open. */
  get isOpen(): boolean {
    return !this.closed;
  }

  private closedError(): RvmError {
    return new RvmError("ECLOSED", `the Rvm of ${this.dir} is closed`);
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private stateOf(seg: Segment): SegmentState {
    this.checkOpen();
    const st = seg === null || typeof seg !== "object" ? undefined : this.mapped.get(seg.name);
    if (st === undefined || st.seg !== seg) {
      throw new RvmError("ENOT_MAPPED", `segment ${seg && typeof seg === "object" ? JSON.stringify(seg.name) : String(seg)} is not mapped by this Rvm`);
    }
    return st;
  }

  /** Runs `fn` after every earlier map/unmap/destroy/truncate/close has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = run.catch(() => undefined);
    return run;
  }

  /** Maps segment `name`: creates it, or extends it with zeros, to at least `size` bytes. */
  async map(name: string, size: number): Promise<Segment> {
    validateSegmentName(name);
    if (!Number.isSafeInteger(size) || size < 0 || size > bufferConstants.MAX_LENGTH) {
      throw new RvmError("ERANGE", `segment size ${String(size)} is not an integer from 0 to ${bufferConstants.MAX_LENGTH}`);
    }
    this.checkOpen();
    return this.exclusive(async () => {
      this.checkOpen();
      if (this.mapped.has(name)) throw new RvmError("EALREADY_MAPPED", `segment "${name}" is already mapped`);
      const path = segmentPath(this.dir, name);
      let id = this.table.byName.get(name);
      if (id === undefined) {
        // File first, then the table: a crash in between leaves a file the table ignores.
        // Through the thread pool: a new segment's fsync can take a disk's worth of queued
        // writes with it, and the caller's event loop must not wait for that.
        const fh = await open(path, "w", 0o644);
        try {
          await fh.truncate(size);
          await fh.sync();
        } finally {
          await fh.close();
        }
        id = this.table.add(name);
        await this.table.save();
      } else if ((this.lastSeqById.get(id) ?? 0) > this.appliedSeq) {
        // Records of an earlier mapping are still only in the log: apply them first.
        await this.truncateNow();
      }
      let file: Buffer;
      try {
        file = await readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        file = Buffer.alloc(0);
      }
      if (file.length < size) {
        const fh = await open(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
        try {
          await fh.truncate(size);
        } finally {
          await fh.close();
        }
      }
      const data = Buffer.alloc(size);
      file.copy(data, 0, 0, Math.min(size, file.length));
      const seg: Segment = Object.freeze({ name, size, data });
      this.mapped.set(name, { seg, id, holds: [], lastSeq: this.lastSeqById.get(id) ?? 0 });
      return seg;
    });
  }

  /** Forgets a mapping; its buffer is no longer tracked. Refused while a transaction holds a range of it. */
  async unmap(seg: Segment): Promise<void> {
    const st = this.stateOf(seg);
    if (st.holds.length > 0) throw new RvmError("EUNCOMMITTED", `segment "${seg.name}" has ranges in an open transaction`);
    this.mapped.delete(seg.name);
    this.lastSeqById.set(st.id, st.lastSeq);
  }

  /** Deletes segment `name` and its file. Destroying a segment that does not exist does nothing. */
  async destroy(name: string): Promise<void> {
    validateSegmentName(name);
    this.checkOpen();
    return this.exclusive(async () => {
      this.checkOpen();
      if (this.mapped.has(name)) throw new RvmError("EMAPPED", `segment "${name}" is mapped`);
      const id = this.table.byName.get(name);
      if (id !== undefined) {
        // The table first: once the id is gone, replay skips its records.
        this.table.remove(name);
        await this.table.save();
        this.lastSeqById.delete(id);
      }
      if (await unlinkIfExists(segmentPath(this.dir, name))) await syncDir(this.dir);
    });
  }

  /** Starts a transaction. `restore: false` keeps no undo copies (faster; abort is refused). */
  begin(options?: BeginOptions): Transaction {
    this.checkOpen();
    const restore = options?.restore ?? true;
    if (typeof restore !== "boolean") throw new RvmError("EINVAL", `begin option restore must be a boolean, got ${String(restore)}`);
    this.openTxs++;
    return new Transaction(this.host, restore);
  }

  /** Makes every commit so far durable, no-flush ones included. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.writer.sync();
  }

  /** Applies the log to the segment files and reclaims it; commits continue meanwhile. */
  truncate(): Promise<TruncateReport> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.exclusive(() => {
      this.checkOpen();
      return this.truncateNow();
    });
  }

  private async truncateNow(): Promise<TruncateReport> {
    const report = await truncateLog(this.dir, this.table, this.writer, this.onProgress);
    this.appliedSeq = Math.max(this.appliedSeq, report.lastSeq);
    this.olderLogBytes = 0;
    this.stats.truncations++;
    return report;
  }

  private maybeTruncate(size: number): void {
    if (size + this.olderLogBytes < this.threshold || this.autoTruncating || this.closed) return;
    this.autoTruncating = true;
    this.truncate()
      .catch((err: unknown) => {
        if (!(err instanceof RvmError && err.code === "ECLOSED")) this.autoTruncateError = err;
      })
      .finally(() => {
        this.autoTruncating = false;
      });
  }

  /** Makes every commit durable, closes the log and releases the directory. Refused with open transactions. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.openTxs > 0) throw new RvmError("EUNCOMMITTED", `${this.openTxs} transaction(s) are still open`);
    this.closed = true;
    await this.exclusive(async () => {
      try {
        await this.writer.close();
      } finally {
        this.mapped.clear();
        await releaseLock(this.dir);
      }
    });
  }
}
