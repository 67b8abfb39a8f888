/**
 * The redo log: its on-disk format, how records are encoded, and how a log file is read back.
 *
 * 1. PURPOSE AND CONCEPTS
 *
 * Every committed transaction appends one RECORD to the redo log. A record holds the new
 * values of the byte ranges the transaction declared (coalesced: no two ranges of one record
 * overlap or touch), each tagged with the SEGMENT ID it belongs to (see segment-table.ts for
 * the name -> id table). Records carry consecutive SEQUENCE NUMBERS, starting at 1 for a new
 * directory and never reused. A record is committed once all of its bytes are on disk: there
 * is no separate commit marker, the checksum at the end of the record plays that role.
 *
 * The log is a series of LOG FILES, one per EPOCH, named `redo.<epoch>.log` with the epoch in
 * 16 decimal digits. Commits always append to the file of the highest epoch. TRUNCATION (see
 * truncation.ts) starts a new epoch, applies the older files to the segment files, fsyncs the
 * segment files, and only then deletes the older files. Recovery (recovery.ts) reads every
 * log file in epoch order and replays the valid records; replay writes absolute new values,
 * so replaying a record twice is harmless (idempotent).
 *
 * 2. LAYOUT
 *
 * A log file starts with a 40-byte FILE HEADER:
 *
 *     offset  size  field
 *          0     8  magic: the ASCII bytes "PTSRVMLG"
 *          8     4  format version, currently 1
 *         12     4  header size in bytes (40)
 *         16     8  epoch of this file
 *         24     8  sequence number of the first record in this file
 *         32     4  reserved, zero
 *         36     4  CRC32 of bytes 0..35
 *
 * Then records, back to back, no padding. A RECORD is a 24-byte header, its ranges, and a
 * 4-byte trailer:
 *
 *     offset  size  field
 *          0     4  magic: the ASCII bytes "RVM1"
 *          4     4  length: bytes of the whole record, header and trailer included
 *          8     8  sequence number
 *         16     4  number of ranges (n)
 *         20     4  reserved, zero
 *         24     .  n ranges, back to back
 *   length-4     4  CRC32 of bytes 0..length-5 of the record
 *
 * A RANGE is a 16-byte header followed by its bytes:
 *
 *     offset  size  field
 *          0     4  segment id
 *          4     4  number of bytes (m)
 *          8     8  offset of the bytes in the segment
 *         16     m  the new values
 *
 * 3. BYTE ORDER, MAGIC, VERSION
 *
 * All integers are unsigned little-endian. 8-byte fields hold values below 2^53 (JavaScript
 * safe integers), written as low then high 32-bit words. The CRC32 is the one of zlib
 * (polynomial 0xEDB88320, initial value 0), computed by Node's built-in `zlib.crc32`. A file
 * header with another magic or version is not read (recovery stops there: reason "header").
 *
 * 4. VALIDITY
 *
 * A log file is valid up to its first invalid record; nothing after that point is used. The
 * record at file offset P is valid when all of these hold:
 *
 *   1. P + 24 <= file size, and the record magic is "RVM1".
 *   2. 28 <= length <= MAX_RECORD_BYTES, and P + length <= file size.
 *   3. crc32(record[0 .. length-4)) == u32le(record[length-4 .. length)), that is:
 *          crc = zlib.crc32(bytes P .. P+length-5)
 *          valid = crc == read_u32_le(P + length - 4)
 *   4. Its sequence number is the previous valid record's plus one; the first record of a
 *      file has the header's first sequence number.
 *   5. Its n range headers and their bytes fill exactly bytes 24 .. length-5.
 *
 * Across files: the files are read in epoch order. A later file is used only when its header
 * is valid and its first sequence number is exactly one more than the last valid record read
 * so far (a torn tail left in an older file by a crash is skipped by that rule: recovery started
 * the next file right after the last valid record). Otherwise reading stops (reason "gap").
 * Ranges whose segment id is no longer in the segment table belong to a destroyed segment and
 * are skipped.
 *
 * 5. CRASH AND SYNC ORDERING
 *
 * - Appends only: a record is written once, at the end of the current file, never rewritten.
 * - A flush-mode commit resolves only after fdatasync of the log has covered its record. A
 *   no-flush record is written before, or in the same write as, every later record, so a
 *   crash loses only a suffix of the records, and a torn record fails rule 2 or 3.
 * - A new log file is written, fdatasynced, and its directory fsynced before the first
 *   record is appended to it; the previous file was fdatasynced in full before that.
 * - Older files are deleted only after their records were applied to the segment files and
 *   those were fsynced. Deleting a file is the last step, so a crash at any point leaves
 *   either the old file (replayed again, harmlessly) or a fully applied state.
 *
 * 6. TRANSIENT AND PERSISTENT
 *
 * Persistent: the log files and their records. Transient (rebuilt at open): the next
 * sequence number, the current file size, the group-commit batch, the buffered no-flush
 * records (lost on a crash: they were never promised durable), which segments have records
 * not yet applied to their files.
 */
import { crc32 } from "node:zlib";
import { open } from "node:fs/promises";
import type { StopReason } from "./types.ts";
import { LogReader } from "./log-reader.ts";

/** First bytes of every log file. */
export const FILE_MAGIC = Buffer.from("PTSRVMLG", "latin1");
/** The only format version this code reads and writes. */
export const FORMAT_VERSION = 1;
const FILE_MAGIC_BYTES = FILE_MAGIC.length;
/** File header fields, in order. */
const FH_MAGIC = 0;
const FH_VERSION = FH_MAGIC + FILE_MAGIC_BYTES;
const FH_HEADER_SIZE = FH_VERSION + 4;
const FH_EPOCH = FH_HEADER_SIZE + 4;
const FH_FIRST_SEQ = FH_EPOCH + 8;
const FH_RESERVED = FH_FIRST_SEQ + 8;
const FH_CRC = FH_RESERVED + 4;
/** Bytes of the file header. */
export const FILE_HEADER_BYTES = FH_CRC + 4;

/** "RVM1" read as a little-endian u32. */
export const RECORD_MAGIC = Buffer.from("RVM1", "latin1").readUInt32LE(0);
/** Record header fields, in order. */
const RH_MAGIC = 0;
const RH_LENGTH = RH_MAGIC + 4;
const RH_SEQ = RH_LENGTH + 4;
/** Offset of the range count in a record. */
export const RH_RANGES = RH_SEQ + 8;
const RH_RESERVED = RH_RANGES + 4;
/** Bytes of the record header. */
export const RECORD_HEADER_BYTES = RH_RESERVED + 4;
/** Bytes of the checksum trailer. */
export const RECORD_TRAILER_BYTES = 4;
/** Smallest record: a header and a trailer, no ranges. */
export const MIN_RECORD_BYTES = RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES;
/** Largest record accepted (just under 4 GiB, the reach of the u32 length). */
export const MAX_RECORD_BYTES = 0xffff_ffff;
/** Range header fields, in order (exported for the replay loop, which reads them in place). */
export const RG_SEGMENT = 0;
export const RG_LENGTH = RG_SEGMENT + 4;
export const RG_OFFSET = RG_LENGTH + 4;
/** Bytes of a range header. */
export const RANGE_HEADER_BYTES = RG_OFFSET + 8;

const TWO_32 = 0x1_0000_0000;
/** Epoch digits in a log file name. */
const EPOCH_DIGITS = 16;
const LOG_NAME = /^redo\.(\d{16})\.log$/;

export function logFileName(epoch: number): string {
  return `redo.${String(epoch).padStart(EPOCH_DIGITS, "0")}.log`;
}

/** The epoch of a log file name, or null for any other name. */
export function parseLogFileName(name: string): number | null {
  const m = LOG_NAME.exec(name);
  return m ? Number(m[1]) : null;
}

export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % TWO_32, true);
  view.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

/**
 * A DataView over all of `buf`, for the record writers below: DataView stores are inlined by
 * the JIT, and measured about ten times cheaper than Buffer#writeUInt32LE on the commit path.
 */
export function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

export function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * TWO_32;
}

export interface LogFileHeader {
  epoch: number;
  firstSeq: number;
}

export function encodeFileHeader(h: LogFileHeader): Buffer {
  const buf = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(buf, FH_MAGIC);
  buf.writeUInt32LE(FORMAT_VERSION, FH_VERSION);
  buf.writeUInt32LE(FILE_HEADER_BYTES, FH_HEADER_SIZE);
  const view = viewOf(buf);
  writeU64(view, FH_EPOCH, h.epoch);
  writeU64(view, FH_FIRST_SEQ, h.firstSeq);
  buf.writeUInt32LE(crc32(buf.subarray(0, FH_CRC)), FH_CRC);
  return buf;
}

/** The header at the start of `buf`, or null when it is damaged or of another format. */
export function decodeFileHeader(buf: Buffer): LogFileHeader | null {
  if (buf.length < FILE_HEADER_BYTES) return null;
  if (!buf.subarray(FH_MAGIC, FH_MAGIC + FILE_MAGIC_BYTES).equals(FILE_MAGIC)) return null;
  if (buf.readUInt32LE(FH_VERSION) !== FORMAT_VERSION) return null;
  if (buf.readUInt32LE(FH_HEADER_SIZE) !== FILE_HEADER_BYTES) return null;
  if (buf.readUInt32LE(FH_CRC) !== crc32(buf.subarray(0, FH_CRC))) return null;
  return { epoch: readU64(buf, FH_EPOCH), firstSeq: readU64(buf, FH_FIRST_SEQ) };
}

/** Writes a record header at `at` of `view`; the ranges follow at `at + RECORD_HEADER_BYTES`. */
export function writeRecordHeader(view: DataView, at: number, length: number, seq: number, ranges: number): void {
  view.setUint32(at + RH_MAGIC, RECORD_MAGIC, true);
  view.setUint32(at + RH_LENGTH, length, true);
  writeU64(view, at + RH_SEQ, seq);
  view.setUint32(at + RH_RANGES, ranges, true);
  view.setUint32(at + RH_RESERVED, 0, true);
}

/** Writes a range header at `at` of `view`; its `length` bytes follow at `at + RANGE_HEADER_BYTES`. */
export function writeRangeHeader(view: DataView, at: number, segmentId: number, length: number, offset: number): void {
  view.setUint32(at + RG_SEGMENT, segmentId, true);
  view.setUint32(at + RG_LENGTH, length, true);
  writeU64(view, at + RG_OFFSET, offset);
}

/** Computes the checksum of the record at `at` of `view` (header and ranges written) and writes the trailer. */
export function sealRecord(view: DataView, at: number, length: number): void {
  const end = at + length - RECORD_TRAILER_BYTES;
  view.setUint32(end, crc32(new Uint8Array(view.buffer, view.byteOffset + at, end - at)), true);
}

export function recordLength(rangeBytes: number, ranges: number): number {
  return MIN_RECORD_BYTES + ranges * RANGE_HEADER_BYTES + rangeBytes;
}

/** One decoded range of a record, for tests and tools; the hot paths read fields in place. */
export interface DecodedRange {
  segmentId: number;
  offset: number;
  bytes: Buffer;
}

/**
 * Calls `fn` for each range of the valid record at `buf[at .. at+length)`.
 * `bytes` is a view into `buf`, valid only during the call.
 */
export function forEachRange(buf: Buffer, at: number, fn: (segmentId: number, offset: number, bytes: Buffer) => void): void {
  const n = buf.readUInt32LE(at + RH_RANGES);
  let p = at + RECORD_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(p + RG_LENGTH);
    const start = p + RANGE_HEADER_BYTES;
    fn(buf.readUInt32LE(p + RG_SEGMENT), readU64(buf, p + RG_OFFSET), buf.subarray(start, start + len));
    p = start + len;
  }
}

export function recordSeq(buf: Buffer, at: number): number {
  return readU64(buf, at + RH_SEQ);
}

/**
 * Checks validity rules 1-3 and 5 for the record at `buf[at ..]`, `available` bytes of file
 * being readable from `at`. Returns the record length, or the StopReason that ends the log.
 */
export function checkRecord(buf: Buffer, at: number, available: number): number | StopReason {
  if (available < RECORD_HEADER_BYTES) return "torn";
  if (buf.readUInt32LE(at + RH_MAGIC) !== RECORD_MAGIC) return "magic";
  const length = buf.readUInt32LE(at + RH_LENGTH);
  if (length < MIN_RECORD_BYTES) return "length";
  if (length > available) return "torn";
  const end = at + length - RECORD_TRAILER_BYTES;
  // A plain Uint8Array view: cheaper to make than Buffer#subarray, which runs per record here.
  if (crc32(new Uint8Array(buf.buffer, buf.byteOffset + at, end - at)) !== buf.readUInt32LE(end)) return "crc";
  const n = buf.readUInt32LE(at + RH_RANGES);
  let p = at + RECORD_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    if (p + RANGE_HEADER_BYTES > end) return "ranges";
    p += RANGE_HEADER_BYTES + buf.readUInt32LE(p + RG_LENGTH);
  }
  return p === end ? length : "ranges";
}

/** Bytes needed before `checkRecord` can see a record's length. */
export function recordBytesNeeded(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at + RH_LENGTH);
}

/** What reading one log file found. */
export interface FileScan {
  header: LogFileHeader | null;
  /** Valid records read. */
  records: number;
  /** Bytes of valid records. */
  bytes: number;
  /** Sequence number of the last valid record, or header.firstSeq - 1 when none. */
  lastSeq: number;
  /** File offset just after the last valid record: where appending continues. */
  end: number;
  fileBytes: number;
  /** The first invalid point, or null when the file is valid to its end. */
  stop: { offset: number; reason: StopReason } | null;
}

/** Called for each valid record: `buf[at .. at+length)`, a view valid only during the call. */
export type RecordVisitor = (buf: Buffer, at: number, length: number, seq: number) => void;

/**
 * Reads the log file at `path` and calls `visit` for each valid record, in order. When
 * `expectFirstSeq` is given, a file whose header does not start there is not read (reason
 * "gap"). Never throws on the file's contents (only on I/O errors). `onRead(n)` is told of
 * every `n` bytes read.
 */
export async function scanLogFile(
  path: string,
  expectFirstSeq: number | null,
  visit: RecordVisitor | null,
  onRead?: (bytes: number) => void,
): Promise<FileScan> {
  const fh = await open(path, "r");
  const fileBytes = (await fh.stat()).size;
  // Records are visited in place in the reader's buffers, never copied.
  const reader = new LogReader(fh, fileBytes, onRead);
  try {
    const result: FileScan = { header: null, records: 0, bytes: 0, lastSeq: 0, end: 0, fileBytes, stop: null };
    if (fileBytes < FILE_HEADER_BYTES) {
      result.stop = { offset: 0, reason: "header" };
      return result;
    }
    await reader.ensure(0, FILE_HEADER_BYTES);
    const header = decodeFileHeader(reader.buf.subarray(0 - reader.bufStart, FILE_HEADER_BYTES - reader.bufStart));
    if (header === null) {
      result.stop = { offset: 0, reason: "header" };
      return result;
    }
    result.header = header;
    if (expectFirstSeq !== null && header.firstSeq !== expectFirstSeq) {
      result.stop = { offset: 0, reason: "gap" };
      return result;
    }
    let expect = header.firstSeq;
    let pos = FILE_HEADER_BYTES;
    // Records that lie wholly in the buffer are checked without awaiting (an await per
    // record costs more than the checksum); the loop only awaits to refill the buffer.
    scan: while (pos < fileBytes) {
      const available = fileBytes - pos;
      if (available < RECORD_HEADER_BYTES) {
        result.stop = { offset: pos, reason: "torn" };
        break;
      }
      await reader.ensure(pos, RECORD_HEADER_BYTES);
      const claimed = recordBytesNeeded(reader.buf, pos - reader.bufStart);
      if (claimed >= MIN_RECORD_BYTES && claimed <= available) await reader.ensure(pos, claimed);
      const buf = reader.buf;
      const bufStart = reader.bufStart;
      const inBuffer = reader.validTo;
      for (;;) {
        const at = pos - bufStart;
        const checked = checkRecord(buf, at, fileBytes - pos);
        if (typeof checked !== "number") {
          result.stop = { offset: pos, reason: checked };
          break scan;
        }
        const seq = recordSeq(buf, at);
        if (seq !== expect) {
          result.stop = { offset: pos, reason: "sequence" };
          break scan;
        }
        visit?.(buf, at, checked, seq);
        expect++;
        result.records++;
        result.bytes += checked;
        pos += checked;
        // Go on in place while the next record's header and body are already buffered.
        if (pos + RECORD_HEADER_BYTES > inBuffer || pos + recordBytesNeeded(buf, pos - bufStart) > inBuffer) break;
      }
    }
    result.lastSeq = expect - 1;
    result.end = pos;
    if (result.stop === null) result.end = fileBytes;
    return result;
  } finally {
    await reader.settle();
    await fh.close();
  }
}
