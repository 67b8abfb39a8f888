/**
 * Transaction: declares ranges of mapped segments, then commits their new values as one redo
 * record, or aborts and puts the old values back.
 *
 * Semantics (LRVM, Satyanarayanan et al. 1993):
 * - `setRange(seg, offset, length)` is called BEFORE writing the range. Ranges may repeat
 *   and overlap. In restore mode (the default) an undo copy of the range is taken right then.
 * - `commit()` captures the new values of the declared ranges at that moment, coalesced per
 *   segment (overlapping and touching ranges merge), into one record. Bytes written outside
 *   declared ranges are not made durable. With `flush: true` (default) it resolves once the
 *   record is on disk; with `flush: false` the record is buffered and becomes durable with the
 *   next flush-mode commit or `rvm.flush()`, and a crash can lose it, but only whole.
 * - `abort()` restores the undo copies in reverse order of declaration, so overlapping
 *   ranges end with the values from before the first declaration. A no-restore transaction
 *   kept no copies and cannot abort (ENO_RESTORE; it stays open).
 * - While open, a transaction holds its ranges: another open transaction declaring an
 *   overlapping range gets ECONFLICT. Commit and abort release them.
 *
 * @example
 *   const tx = rvm.begin();
 *   tx.setRange(seg, 0, 5);
 *   seg.data.write("hello", 0);
 *   await tx.commit();
 */
import { RvmError } from "./errors.ts";
import { RANGE_HEADER_BYTES, recordLength, writeRangeHeader } from "./log.ts";
import type { LogWriter } from "./log-writer.ts";
import type { CommitOptions, Segment } from "./types.ts";

/** A declared range. */
export interface DeclaredRange {
  readonly st: SegmentState;
  readonly lo: number;
  readonly hi: number;
  readonly undo: Buffer | null;
}

/** What the Rvm keeps per mapped segment. */
export interface SegmentState {
  readonly seg: Segment;
  readonly id: number;
  /**
   * One hold per open transaction that declared ranges on this segment, in no particular
   * order. Few transactions are open at a time, so a flat array beats a Map here.
   */
  holds: Hold[];
  /** Sequence number of the last record that touched this segment. */
  lastSeq: number;
}

/** The ranges one open transaction declared on one segment: what conflict checks look at. */
export interface Hold {
  readonly tx: Transaction;
  readonly st: SegmentState;
  readonly ranges: DeclaredRange[];
}

/** What a transaction needs from its Rvm. */
export interface TransactionHost {
  /** The state of a mapped segment; throws ENOT_MAPPED (or ECLOSED). */
  stateOf(seg: Segment): SegmentState;
  /** The log, or throws when the Rvm cannot commit. */
  readonly log: LogWriter;
  ended(): void;
}

function rangeError(what: string, value: unknown): RvmError {
  return new RvmError("ERANGE", `${what} ${String(value)} is not a non-negative safe integer`);
}

function byIdThenOffset(a: DeclaredRange, b: DeclaredRange): number {
  return a.st.id - b.st.id || a.lo - b.lo;
}

export class Transaction {
  private ranges: DeclaredRange[] = [];
  /** This transaction's holds, one per segment it declared ranges on. */
  private readonly held: Hold[] = [];
  private done = false;

  constructor(
    private readonly host: TransactionHost,
    readonly restore: boolean,
  ) {}

  /** True once committed or aborted. */
  get ended(): boolean {
    return this.done;
  }

  private checkOpen(op: string): void {
    if (this.done) throw new RvmError("ETX_ENDED", `${op} on a transaction that has already ended`);
  }

  /** Declares that `length` bytes at `offset` of `seg` are about to be written. */
  setRange(seg: Segment, offset: number, length: number): void {
    this.checkOpen("setRange");
    const st = this.host.stateOf(seg);
    if (!Number.isSafeInteger(offset) || offset < 0) throw rangeError("offset", offset);
    if (!Number.isSafeInteger(length) || length < 0) throw rangeError("length", length);
    const hi = offset + length;
    if (hi > seg.size) throw new RvmError("ERANGE", `range [${offset}, ${hi}) is outside segment "${seg.name}" of ${seg.size} bytes`);
    if (length === 0) return;
    // Only other transactions' ranges can conflict: a transaction's own may repeat and overlap,
    // so its own hold is skipped whole, and a large transaction stays linear in its ranges.
    const holds = st.holds;
    let own: Hold | undefined;
    for (let i = 0; i < holds.length; i++) {
      const h = holds[i] as Hold;
      if (h.tx === this) {
        own = h;
        continue;
      }
      for (const r of h.ranges) {
        if (r.lo < hi && offset < r.hi) {
          throw new RvmError("ECONFLICT", `range [${offset}, ${hi}) of segment "${seg.name}" overlaps [${r.lo}, ${r.hi}) of another open transaction`);
        }
      }
    }
    const range: DeclaredRange = { st, lo: offset, hi, undo: this.restore ? Buffer.from(seg.data.subarray(offset, hi)) : null };
    this.ranges.push(range);
    if (own === undefined) {
      own = { tx: this, st, ranges: [] };
      holds.push(own);
      this.held.push(own);
    }
    own.ranges.push(range);
  }

  /** Writes the declared ranges' current values as one redo record. */
  commit(options?: CommitOptions): Promise<void> {
    try {
      this.checkOpen("commit");
      const flush = options?.flush ?? true;
      if (typeof flush !== "boolean") throw new RvmError("EINVAL", `commit option flush must be a boolean, got ${String(flush)}`);
      const log = this.host.log;
      const ranges = this.coalesced();
      this.end();
      if (ranges.length === 0) return flush ? log.sync() : Promise.resolve();
      let bytes = 0;
      for (const r of ranges) bytes += r.hi - r.lo;
      let at = log.reserve(recordLength(bytes, ranges.length), ranges.length);
      const buf = log.buffer;
      const view = log.view;
      const seq = log.nextSeq;
      for (const r of ranges) {
        writeRangeHeader(view, at, r.st.id, r.hi - r.lo, r.lo);
        at += RANGE_HEADER_BYTES;
        at += r.st.seg.data.copy(buf, at, r.lo, r.hi);
        r.st.lastSeq = seq;
      }
      return log.finish(flush);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Puts back the declared ranges, last declared first (restore mode only). */
  abort(): void {
    this.checkOpen("abort");
    if (!this.restore) throw new RvmError("ENO_RESTORE", "abort of a transaction begun with { restore: false }, which kept no undo copies");
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i] as DeclaredRange;
      (r.undo as Buffer).copy(r.st.seg.data, r.lo);
    }
    this.end();
  }

  /**
   * The declared ranges merged per segment: sorted, no two overlapping or touching. Sorts
   * `this.ranges` in place (the transaction is ending): an insertion sort, since there are
   * usually one to a few ranges, and slice + sort allocated measurably on the commit path.
   */
  private coalesced(): DeclaredRange[] {
    const ranges = this.ranges;
    const n = ranges.length;
    if (n <= 1) return ranges;
    for (let i = 1; i < n; i++) {
      const r = ranges[i] as DeclaredRange;
      let j = i - 1;
      while (j >= 0 && byIdThenOffset(ranges[j] as DeclaredRange, r) > 0) {
        ranges[j + 1] = ranges[j] as DeclaredRange;
        j--;
      }
      ranges[j + 1] = r;
    }
    let disjoint = true;
    for (let i = 1; i < n && disjoint; i++) {
      const a = ranges[i - 1] as DeclaredRange;
      const b = ranges[i] as DeclaredRange;
      if (a.st === b.st && b.lo <= a.hi) disjoint = false;
    }
    if (disjoint) return ranges;
    const out: DeclaredRange[] = [];
    let cur = ranges[0] as DeclaredRange;
    for (let i = 1; i < n; i++) {
      const r = ranges[i] as DeclaredRange;
      if (r.st === cur.st && r.lo <= cur.hi) {
        if (r.hi > cur.hi) cur = { ...cur, hi: r.hi };
      } else {
        out.push(cur);
        cur = r;
      }
    }
    out.push(cur);
    return out;
  }

  /** Releases the holds: one per segment, replaced in its segment's array by the last one. */
  private end(): void {
    this.done = true;
    for (const h of this.held) {
      const holds = h.st.holds;
      const at = holds.lastIndexOf(h);
      const last = holds.pop() as Hold;
      if (at < holds.length) holds[at] = last;
    }
    this.host.ended();
  }
}
