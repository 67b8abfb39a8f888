// @ts-check
/**
 * Record checksums (format.ts, section 2): crc32 of a record's bytes [4, 16) (its length and
 * ts) continued over its payload, kept in bytes [16, 20). One implementation for the three
 * places that need it: the store setting them on the main thread (channelStore.ts), the crc
 * worker setting them for checkpoint buffers on another thread (crcWorker.js), and reads
 * checking records (dataFile.ts).
 *
 * Plain JavaScript, so that a worker thread loads it as it is: bin/pts.js registers the
 * TypeScript loader through tsx's API, which worker threads do not inherit. The record offsets
 * it needs are defined here, and format.ts takes them from here.
 *
 * Each record costs one native crc32 call, over a view of its payload: the 12 header bytes go
 * through a small table-driven CRC in JS first and seed that call, because zlib.crc32 takes
 * no offset and a second view per record would be one more allocation.
 */
import { crc32 } from "node:zlib";

/** Record layout (format.ts, section 2): the header's size and where its length and crc lie. */
export const RECORD_HEADER = 20;
export const RECORD_LENGTH_AT = 4;
export const RECORD_CRC_AT = 16;

/** The standard CRC-32 table (polynomial 0xEDB88320), as zlib uses. */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/**
 * The checksum of the record at byte `at` of `b`, whose payload is `length` bytes.
 * @param {Uint8Array} b
 * @param {number} at
 * @param {number} length
 * @returns {number}
 */
export function recordCrc(b, at, length) {
  let c = -1;
  for (let i = at + RECORD_LENGTH_AT; i < at + RECORD_CRC_AT; i++) c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return crc32(new Uint8Array(b.buffer, b.byteOffset + at + RECORD_HEADER, length), (c ^ -1) >>> 0);
}

/**
 * Sets the checksum of every record in bytes [0, to) of `b`, which hold whole records.
 * @param {Uint8Array} b
 * @param {number} to
 */
export function setRecordCrcs(b, to) {
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 0; at < to; ) {
    const length = d.getUint32(at + RECORD_LENGTH_AT, true);
    d.setUint32(at + RECORD_CRC_AT, recordCrc(b, at, length), true);
    at += RECORD_HEADER + length;
  }
}
