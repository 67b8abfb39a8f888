/**
 * Record chunks: items encoded as data-file records (format.ts), many to a buffer: the form in
 * which items travel from a channel to its data files.
 *
 * An item is encoded once, when it is put (`encodeRecord`), with its crc left zero. Before the
 * store writes a chunk, every record's crc is set (recordCrcs.js): by the crc worker for the
 * large buffers of checkpoints (`crcsSet`, crcJobs.ts), or by the store itself. `indexRecords`
 * then builds the time-index entries in one pass, and the chunk's bytes go to the data file as
 * they are, with one write and no copy.
 *
 * Guarantees: indexed records and their entries are exactly those format.ts specifies (the
 * entry's crc is the record's); indexing never reads or writes past `chunk.length`.
 *
 * @example
 *   const chunk = recordChunk(ts, payload);                         // one record, crc unset
 *   setRecordCrcs(chunk.bytes, chunk.length);                       // crc set
 *   const s = indexRecords(chunk, 0, 1, Infinity, fileEnd, entries, -1);  // entry built
 */
import { ENTRY_CRC_AT, ENTRY_LENGTH_AT, ENTRY_OFFSET_AT, ENTRY_SIZE, RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT, RECORD_MAGIC, RECORD_TS_AT } from "./format.ts";

/**
 * `count` whole records in bytes [0, length) of `bytes`, in the order they were put.
 * `crcsSet`, when there, is the crc worker's job on them: true once it has set their checksums.
 */
export type RecordChunk = { bytes: Buffer; length: number; count: number; crcsSet?: Promise<boolean> };

/** What indexRecords did: records up to byte `end`, `count` of them; `lastTs` is the last one's. */
export type Indexed = { end: number; count: number; lastTs: number; ascending: boolean };

/** A DataView of all of `b`, for encodeRecord. */
export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Encodes one record at byte `at` of `out` (`view` is viewOf(out)), crc left zero; returns its size. */
export function encodeRecord(out: Buffer, view: DataView, at: number, ts: number, payload: Uint8Array): number {
  view.setUint32(at, RECORD_MAGIC, true);
  view.setUint32(at + RECORD_LENGTH_AT, payload.byteLength, true);
  view.setFloat64(at + RECORD_TS_AT, ts, true);
  view.setUint32(at + RECORD_CRC_AT, 0, true);
  out.set(payload, at + RECORD_HEADER);
  return RECORD_HEADER + payload.byteLength;
}

/** One record in a chunk of its own. */
export function recordChunk(ts: number, payload: Uint8Array): RecordChunk {
  const bytes = Buffer.allocUnsafe(RECORD_HEADER + payload.byteLength);
  return { bytes, length: encodeRecord(bytes, viewOf(bytes), 0, ts, payload), count: 1 };
}

/**
 * Builds the index entries of records from byte `at` of the chunk, whose checksums are set: at
 * most `maxCount` of them and, past the first, no more than `maxBytes` in all. Each record
 * lands at `fileOffset` plus its distance from `at` in its data file; its index entry goes to
 * `entries`, from byte 0. `ascending` tells whether their timestamps strictly increase from
 * `after` on.
 */
export function indexRecords(chunk: RecordChunk, at: number, maxCount: number, maxBytes: number, fileOffset: number, entries: Buffer, after: number): Indexed {
  const b = chunk.bytes;
  // DataView accessors compile to plain loads and stores; Buffer's read/write*LE methods were
  // measured not to inline here, at about a third of this loop's time.
  const d = viewOf(b);
  const e = viewOf(entries);
  const start = at;
  let count = 0;
  let last = after;
  let ascending = true;
  while (count < maxCount && at < chunk.length) {
    const len = d.getUint32(at + RECORD_LENGTH_AT, true);
    const size = RECORD_HEADER + len;
    if (count > 0 && at + size - start > maxBytes) break;
    const ts = d.getFloat64(at + RECORD_TS_AT, true);
    if (ts <= last) ascending = false;
    last = ts;
    const crc = d.getUint32(at + RECORD_CRC_AT, true);
    const ea = count * ENTRY_SIZE;
    e.setFloat64(ea, ts, true);
    e.setFloat64(ea + ENTRY_OFFSET_AT, fileOffset + (at - start), true);
    e.setUint32(ea + ENTRY_LENGTH_AT, size, true);
    e.setUint32(ea + ENTRY_CRC_AT, crc, true);
    at += size;
    count++;
  }
  return { end: at, count, lastTs: last, ascending };
}
