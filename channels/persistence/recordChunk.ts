/**
 * Record chunks: items encoded as data-file records (format.ts), many to a buffer: the form in
 * which items travel from a channel to its data files.
 *
 * An item is encoded once, when it is put (`encodeRecord`), with its crc left zero. The store
 * seals a chunk's records when it writes them (`sealRecords`): one pass computes each crc and
 * the time-index entries, and the chunk's bytes then go to the data file as they are, with one
 * write and no copy. Each record costs one native crc32 call, over a view of its payload: the
 * 12 header bytes the checksum covers (length, ts) go through a small table-driven CRC in JS
 * first and seed that call, because zlib.crc32 takes no offset and a second view per record
 * would be one more allocation.
 *
 * Guarantees: sealed records and their entries are exactly those format.ts specifies (crc ==
 * crc32(bytes[4..16) ++ payload)); a seal never reads or writes past `chunk.length`.
 *
 * @example
 *   const chunk = recordChunk(ts, payload);                      // one record, crc unset
 *   const s = sealRecords(chunk, 0, 1, Infinity, fileEnd, entries, -1);  // crc set, entry built
 */
import { crc32 } from "node:zlib";
import { ENTRY_CRC_AT, ENTRY_LENGTH_AT, ENTRY_OFFSET_AT, ENTRY_SIZE, RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT, RECORD_MAGIC, RECORD_TS_AT } from "./format.ts";

/** `count` whole records in bytes [0, length) of `bytes`, in the order they were put. */
export type RecordChunk = { bytes: Buffer; length: number; count: number };

/** What sealRecords did: records up to byte `end`, `count` of them; `lastTs` is the last one's. */
export type Sealed = { end: number; count: number; lastTs: number; ascending: boolean };

/** The standard CRC-32 table (polynomial 0xEDB88320), as zlib uses. */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** crc32 of bytes [from, to) of b, as zlib.crc32 computes it. */
function crcOf(b: Buffer, from: number, to: number): number {
  let c = -1;
  for (let i = from; i < to; i++) c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

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
 * Seals records from byte `at` of the chunk: at most `maxCount` of them and, past the first,
 * no more than `maxBytes` in all. Each record lands at `fileOffset` plus its distance from `at`
 * in its data file; its index entry goes to `entries`, from byte 0. `ascending` tells whether
 * their timestamps strictly increase from `after` on.
 */
export function sealRecords(chunk: RecordChunk, at: number, maxCount: number, maxBytes: number, fileOffset: number, entries: Buffer, after: number): Sealed {
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
    const payload = new Uint8Array(b.buffer, b.byteOffset + at + RECORD_HEADER, len);
    const crc = crc32(payload, crcOf(b, at + RECORD_LENGTH_AT, at + RECORD_CRC_AT));
    d.setUint32(at + RECORD_CRC_AT, crc, true);
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
