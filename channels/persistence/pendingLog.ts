/**
 * PendingLog: a checkpoint-mode channel's items that are put but not yet durable, held as
 * encoded records (recordChunk.ts) in a few large buffers, with a time index of where each lies.
 *
 * Why bytes and not the items: a checkpoint holds up to everyMs of puts, a million or more.
 * Item objects that live that long are promoted out of V8's young generation, and copying and
 * marking them was measured at about 0.7 µs per item, more than a whole memory-only put. Bytes
 * in a few large buffers cost the garbage collector nothing per item, and they are what the
 * checkpoint writes: the put has done the encoding, the checkpoint only indexes and writes.
 * The buffers live on SharedArrayBuffers: each one, once full (and the last one, when a
 * checkpoint takes the log), goes to the crc worker (crcJobs.ts), which sets its records'
 * checksums on another core while puts go on.
 *
 * Guarantees: `at`, `firstAfter` and `page` see the newest record of each timestamp, and
 * return copies (the buffers go to disk, and get their checksums, meanwhile); `chunks()` holds
 * every record in put order, so that, stored in that order, later records of a timestamp win.
 *
 * @example
 *   const log = new PendingLog();
 *   log.append(ts, codec.encode(value));
 *   await journal.submit({ writes: [{ store, chunks: log.chunks() }], cursors: [] });
 */
import type { StoredItem } from "./channelStore.ts";
import { type Page, pageOf } from "../page.ts";
import { RECORD_HEADER, RECORD_LENGTH_AT } from "./format.ts";
import { lowerBound } from "../lowerBound.ts";
import { type RecordChunk, encodeRecord, viewOf } from "./recordChunk.ts";
import { crcsAhead, sharedBuffer } from "./crcJobs.ts";

/** A new buffer's first size; each next one doubles, up to MAX_BUFFER, so a quiet channel stays small. */
const MIN_BUFFER = 64 * 1024;
const MAX_BUFFER = 8 * 1024 * 1024;
/** A record's place: buffer number * POS_SPLIT + byte offset (offsets stay below 2^32). */
const POS_SPLIT = 2 ** 32;
/**
 * MAX_BUFFER-sized buffers of checkpointed logs, for the next logs to reuse. Fresh memory costs
 * a page fault per 4 KiB on first touch, measured here at up to 1 µs per 256-byte record, more
 * than the encoding itself; reused buffers are already mapped. At most MAX_SPARE are kept.
 */
const spare: Buffer[] = [];
const MAX_SPARE = 32;
/** Timestamps a new log's time index has room for before it first grows. */
const INITIAL_ROOM = 1024;

/** Lets the spare buffers go (up to 256 MiB): a runtime that stops no longer needs them. */
export function dropSpareBuffers(): void {
  spare.length = 0;
}

export class PendingLog {
  private readonly done: RecordChunk[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private view = viewOf(this.buf);
  private used = 0;
  private count = 0;
  /**
   * Sorted by ts; pos[i] is where the newest record at ts[i] lies; `held` of them are in use.
   * Typed arrays: nothing for the GC to trace, and their room is kept across release(), so
   * a log reused checkpoint after checkpoint grows them once, not every time (number arrays
   * were measured at 70-150 ns per put for the two pushes, these at about 25).
   */
  private ts = new Float64Array(INITIAL_ROOM);
  private pos = new Float64Array(INITIAL_ROOM);
  private held = 0;
  /** Bytes of all records appended, replaced ones included. */
  bytes = 0;

  /** Timestamps held. */
  get size(): number {
    return this.held;
  }

  /** Appends a record; it replaces a record at the same ts for reads (both stay in chunks()). */
  append(ts: number, payload: Uint8Array): void {
    const size = RECORD_HEADER + payload.byteLength;
    if (this.used + size > this.buf.byteLength) this.grow(size);
    const p = this.done.length * POS_SPLIT + this.used;
    this.used += encodeRecord(this.buf, this.view, this.used, ts, payload);
    this.count++;
    this.bytes += size;
    const n = this.held;
    if (n === 0 || ts > this.ts[n - 1]) {
      if (n === this.ts.length) this.makeRoom();
      this.ts[n] = ts;
      this.pos[n] = p;
      this.held = n + 1;
      return;
    }
    const i = lowerBound(this.ts, ts, 0, n);
    if (this.ts[i] === ts) this.pos[i] = p;
    else {
      if (n === this.ts.length) this.makeRoom();
      this.ts.copyWithin(i + 1, i, n);
      this.pos.copyWithin(i + 1, i, n);
      this.ts[i] = ts;
      this.pos[i] = p;
      this.held = n + 1;
    }
  }

  /** Doubles the room of the time index. */
  private makeRoom(): void {
    const ts = new Float64Array(this.ts.length * 2);
    const pos = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    pos.set(this.pos);
    this.ts = ts;
    this.pos = pos;
  }

  /** Every record so far, in put order. */
  chunks(): RecordChunk[] {
    return this.used > 0 ? [...this.done, this.chunkOfBuffer()] : this.done.slice();
  }

  /** The current buffer's records as a chunk, handed to the crc worker when it is large enough. */
  private chunkOfBuffer(): RecordChunk {
    return { bytes: this.buf, length: this.used, count: this.count, crcsSet: crcsAhead(this.buf, this.used) };
  }

  /**
   * Gives the log's buffers back for reuse; the log is empty afterwards. Its time index keeps
   * its room for the next checkpoint of about the same size, but not the room of a burst many
   * times larger: that goes when the log is released after a checkpoint of ordinary size (the
   * burst's own release keeps it, as doubling leaves it under twice what it held). Only once
   * its records are written.
   */
  release(): void {
    if (this.ts.length > 2 * Math.max(this.held, INITIAL_ROOM)) {
      this.ts = new Float64Array(INITIAL_ROOM);
      this.pos = new Float64Array(INITIAL_ROOM);
    }
    for (const c of this.done) if (c.bytes.byteLength === MAX_BUFFER && spare.length < MAX_SPARE) spare.push(c.bytes);
    if (this.buf.byteLength === MAX_BUFFER && spare.length < MAX_SPARE) spare.push(this.buf);
    this.done.length = 0;
    this.buf = Buffer.alloc(0);
    this.view = viewOf(this.buf);
    this.used = 0;
    this.count = 0;
    this.held = 0;
    this.bytes = 0;
  }

  /** Appends the items of a newer log after this one's (its records win), for a failed checkpoint. */
  absorb(newer: PendingLog): void {
    for (let i = 0; i < newer.held; i++) this.append(newer.ts[i], newer.payloadAt(newer.pos[i]));
  }

  has(ts: number): boolean {
    const i = lowerBound(this.ts, ts, 0, this.held);
    return i < this.held && this.ts[i] === ts;
  }

  at(ts: number): StoredItem | undefined {
    const i = lowerBound(this.ts, ts, 0, this.held);
    return i < this.held && this.ts[i] === ts ? this.item(i) : undefined;
  }

  /** The first item with ts > after. */
  firstAfter(after: number): StoredItem | undefined {
    const i = lowerBound(this.ts, after + 1, 0, this.held);
    return i < this.held ? this.item(i) : undefined;
  }

  /** The first `limit` items with lo <= ts <= hi, in order (page.ts). */
  page(lo: number, hi: number, limit: number): Page<StoredItem> {
    const items: StoredItem[] = [];
    for (let i = lowerBound(this.ts, lo, 0, this.held); i < this.held && this.ts[i] <= hi && items.length < limit; i++) items.push(this.item(i));
    return pageOf(items, limit, hi);
  }

  private item(i: number): StoredItem {
    return { ts: this.ts[i], payload: Buffer.from(this.payloadAt(this.pos[i])) };
  }

  /** A view of the payload of the record at p. */
  private payloadAt(p: number): Buffer {
    const k = Math.floor(p / POS_SPLIT);
    const at = p - k * POS_SPLIT;
    const b = k < this.done.length ? this.done[k].bytes : this.buf;
    return b.subarray(at + RECORD_HEADER, at + RECORD_HEADER + b.readUInt32LE(at + RECORD_LENGTH_AT));
  }

  /** Closes the current buffer and starts one with room for `size` bytes. */
  private grow(size: number): void {
    if (this.used > 0) this.done.push(this.chunkOfBuffer());
    const next = Math.max(size, Math.min(MAX_BUFFER, Math.max(MIN_BUFFER, this.buf.byteLength * 2)));
    // A spare buffer even where doubling would start smaller: a new log after a checkpoint
    // would otherwise fault in its first megabytes afresh every time.
    this.buf = (size <= MAX_BUFFER ? spare.pop() : undefined) ?? sharedBuffer(next);
    this.view = viewOf(this.buf);
    this.used = 0;
    this.count = 0;
  }
}
