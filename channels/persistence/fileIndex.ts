/**
 * FileIndex: the time index of one data file, held in its LRVM segment (format.ts), with
 * binary search over the mapped bytes.
 *
 * Changes are made to the segment's buffer and collected into one dirty span, which
 * `takeDirty()` hands to the caller to declare in the LRVM transaction that commits them: a
 * batch of thousands of entries costs two declared ranges (the header's count, file number and
 * durable mark, and the entries), not thousands. Entries stay sorted:
 * an out-of-order insert shifts the entries after it (cheap when, as usual, it lands near the end).
 */
import type { Segment } from "../../runtime/lrvm/index.ts";
import { ENTRY_CRC_AT, ENTRY_LENGTH_AT, ENTRY_OFFSET_AT, ENTRY_SIZE, FORMAT_VERSION, IDX_COUNT_AT, IDX_DURABLE_AT, IDX_FILE_AT, IDX_HEADER, IDX_MAGIC, UPGRADABLE_VERSION } from "./format.ts";
import type { RecordRef } from "./dataFile.ts";

export type ByteRange = { seg: Segment; offset: number; length: number };

/** The header fields a change declares: count, file number and durable mark. */
const HEADER_DIRTY_LENGTH = IDX_DURABLE_AT + 8 - IDX_COUNT_AT;

export class FileIndex {
  private dirtyLo = Infinity;
  private dirtyHi = 0;
  private headerDirty = false;

  constructor(public seg: Segment) {}

  /** Writes a fresh header for data file n. */
  init(n: number): void {
    const d = this.seg.data;
    d.writeUInt32LE(IDX_MAGIC, 0);
    d.writeUInt32LE(FORMAT_VERSION, 4);
    d.writeUInt32LE(0, IDX_COUNT_AT);
    d.writeUInt32LE(n, IDX_FILE_AT);
    d.writeDoubleLE(0, IDX_DURABLE_AT);
    this.mark(0, IDX_HEADER);
  }

  /** Bytes of the data file known on disk when this index was last committed (format.ts, section 5). */
  get durable(): number {
    return this.seg.data.readDoubleLE(IDX_DURABLE_AT);
  }

  setDurable(bytes: number): void {
    this.seg.data.writeDoubleLE(bytes, IDX_DURABLE_AT);
    this.headerDirty = true;
  }

  get version(): number {
    return this.seg.data.readUInt32LE(4);
  }

  /** A version 1 index becomes version 2, its durable mark the watermark (format.ts, section 3). */
  upgrade(watermark: number): void {
    this.seg.data.writeUInt32LE(FORMAT_VERSION, 4);
    this.seg.data.writeDoubleLE(watermark, IDX_DURABLE_AT);
    this.mark(4, IDX_DURABLE_AT + 8);
  }

  /** The byte ranges changed since the last call: the header and one span of entries. */
  takeDirty(): ByteRange[] {
    if (this.dirtyHi === 0 && !this.headerDirty) return [];
    const out: ByteRange[] = [];
    if (this.dirtyLo > IDX_COUNT_AT) out.push({ seg: this.seg, offset: IDX_COUNT_AT, length: HEADER_DIRTY_LENGTH });
    if (this.dirtyHi > 0) out.push({ seg: this.seg, offset: this.dirtyLo, length: this.dirtyHi - this.dirtyLo });
    this.dirtyLo = Infinity;
    this.dirtyHi = 0;
    this.headerDirty = false;
    return out;
  }

  private mark(lo: number, hi: number): void {
    if (lo < this.dirtyLo) this.dirtyLo = lo;
    if (hi > this.dirtyHi) this.dirtyHi = hi;
  }

  /** Whether the segment holds a valid header for data file n, of this version or one open() upgrades. */
  isValidFor(n: number): boolean {
    const d = this.seg.data;
    const version = d.length >= IDX_HEADER ? this.version : 0;
    return (version === FORMAT_VERSION || version === UPGRADABLE_VERSION) && d.readUInt32LE(0) === IDX_MAGIC && d.readUInt32LE(IDX_FILE_AT) === n && this.count <= this.capacity;
  }

  get count(): number {
    return this.seg.data.readUInt32LE(IDX_COUNT_AT);
  }

  get capacity(): number {
    return Math.floor((this.seg.size - IDX_HEADER) / ENTRY_SIZE);
  }

  tsAt(i: number): number {
    return this.seg.data.readDoubleLE(IDX_HEADER + i * ENTRY_SIZE);
  }

  refAt(i: number): RecordRef {
    const at = IDX_HEADER + i * ENTRY_SIZE;
    const d = this.seg.data;
    return { offset: d.readDoubleLE(at + ENTRY_OFFSET_AT), length: d.readUInt32LE(at + ENTRY_LENGTH_AT), crc: d.readUInt32LE(at + ENTRY_CRC_AT) };
  }

  minTs(): number {
    return this.count > 0 ? this.tsAt(0) : Infinity;
  }

  maxTs(): number {
    const n = this.count;
    return n > 0 ? this.tsAt(n - 1) : -Infinity;
  }

  /** First slot whose ts >= x (may be count). */
  lowerBound(x: number): number {
    let lo = 0;
    let hi = this.count;
    const d = this.seg.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d.readDoubleLE(IDX_HEADER + mid * ENTRY_SIZE) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(ts: number): number {
    const i = this.lowerBound(ts);
    return i < this.count && this.tsAt(i) === ts ? i : -1;
  }

  /**
   * Appends the entries `src` holds (ENTRY_SIZE bytes each, format.ts) after the last one, with
   * one copy: the caller has checked capacity, and that they are in order and newer than all.
   */
  appendEntries(src: Buffer): void {
    const n = this.count;
    const at = IDX_HEADER + n * ENTRY_SIZE;
    src.copy(this.seg.data, at);
    this.seg.data.writeUInt32LE(n + src.byteLength / ENTRY_SIZE, IDX_COUNT_AT);
    this.mark(at, at + src.byteLength);
  }

  /** Inserts the entry at byte `from` of `src` in ts order; the caller has checked capacity and uniqueness. */
  insertEntry(src: Buffer, from: number): void {
    const ts = src.readDoubleLE(from);
    const n = this.count;
    const i = n === 0 || ts > this.tsAt(n - 1) ? n : this.lowerBound(ts);
    const at = IDX_HEADER + i * ENTRY_SIZE;
    const d = this.seg.data;
    if (i < n) d.copyWithin(at + ENTRY_SIZE, at, IDX_HEADER + n * ENTRY_SIZE);
    src.copy(d, at, from, from + ENTRY_SIZE);
    d.writeUInt32LE(n + 1, IDX_COUNT_AT);
    this.mark(at, IDX_HEADER + (n + 1) * ENTRY_SIZE);
  }

  /** Removes the entry at slot i. */
  remove(i: number): void {
    const n = this.count;
    const at = IDX_HEADER + i * ENTRY_SIZE;
    const d = this.seg.data;
    d.copyWithin(at, at + ENTRY_SIZE, IDX_HEADER + n * ENTRY_SIZE);
    d.fill(0, IDX_HEADER + (n - 1) * ENTRY_SIZE, IDX_HEADER + n * ENTRY_SIZE);
    d.writeUInt32LE(n - 1, IDX_COUNT_AT);
    this.mark(at, IDX_HEADER + n * ENTRY_SIZE);
  }
}
