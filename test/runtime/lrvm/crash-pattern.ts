/**
 * The transaction pattern of the LRVM crash tests: what transaction k writes, as a pure
 * function of (seed, k), so that the child that commits it and the parent that verifies the
 * recovered image agree without talking.
 *
 * Transaction k writes a header `[k, stamp(seed, k)]` at offset 0 of segment A, and one to
 * three data ranges over segments A and B, sometimes a large one (1–4 KiB), sometimes a range
 * that overlaps the one before, sometimes the same range declared twice. Each range's bytes are
 * derived from k, so the image after transactions 1..K is exactly `imageAt(K)`, and a
 * transaction that is only partly applied, or applied out of order, leaves bytes that match no
 * prefix.
 *
 * ```ts
 * const image = newImage();
 * for (let k = 1; k <= 10; k++) applyTx(image, seed, k, txRanges(seed, k));
 * headerK(image.a, seed); // 10
 * ```
 */
import { seededRandom as prng } from "../../../runtime/random.ts";

export { prng };

export const SEG_A = "crash-a";
export const SEG_B = "crash-b";
export const SIZE_A = 64 * 1024;
export const SIZE_B = 32 * 1024;
/** Bytes of the header at offset 0 of segment A: u32le k, u32le stamp(seed, k). */
export const HEADER = 8;

/** The most no-flush acks a child holds back before writing them (crash-child.ts). */
export const LAZY_ACK_BATCH = 32;

/** What a child is told to do, on one line of JSON. */
export type ChildConfig = {
  dir: string;
  seed: number;
  /** Salts the child's own choices (flush or not, restore or not, aborts). */
  salt: number;
  workers: number;
  pFlush: number;
  pAbort: number;
  truncateThreshold: number;
  /** 0 = no rvm.flush() loop. */
  flushEveryMs: number;
  /** 0 = no explicit rvm.truncate() loop. */
  truncateEveryMs: number;
  /** Transactions carry a range of 2–6 KiB more (crash-pattern.ts txRanges). */
  bulk: boolean;
  /** A child still alive after this long exits with an error. */
  maxMs: number;
};

export type Image = { a: Buffer; b: Buffer };

/** One declared range of a transaction; `fill` says whether the transaction writes it. */
export type TxRange = { seg: 0 | 1; offset: number; length: number; word: number; fill: boolean };

export function newImage(): Image {
  return { a: Buffer.alloc(SIZE_A), b: Buffer.alloc(SIZE_B) };
}

/** A 32-bit integer hash (murmur3's finalizer). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}


export function stamp(seed: number, k: number): number {
  return mix32(seed ^ Math.imul(k, 0x9e3779b1) ^ 0x5bd1e995);
}

/**
 * The ranges transaction k declares, in declaration (and write) order; the header comes last.
 * `bulk` adds one range of 2–6 KiB, to grow a log quickly.
 */
export function txRanges(seed: number, k: number, bulk = false): TxRange[] {
  const rand = prng(mix32(seed + Math.imul(k, 0x27d4eb2f)));
  const int = (n: number) => Math.floor(rand() * n);
  const ranges: TxRange[] = [];
  const count = 1 + int(3);
  for (let i = 0; i < count; i++) {
    const seg: 0 | 1 = int(2) === 0 ? 0 : 1;
    const lo = seg === 0 ? HEADER : 0;
    const size = seg === 0 ? SIZE_A : SIZE_B;
    const length = int(16) === 0 ? 1024 + int(3072) : 8 + int(120);
    const offset = lo + int(size - lo - length);
    ranges.push({ seg, offset, length, word: mix32(stamp(seed, k) + i), fill: true });
    const extra = int(8);
    if (extra === 0) {
      // An overlapping range: starts inside this one and runs past it.
      const o2 = Math.min(offset + (length >> 1), size - length);
      ranges.push({ seg, offset: Math.max(lo, o2), length, word: mix32(stamp(seed, k) + 100 + i), fill: true });
    } else if (extra === 1) {
      // The same range declared again, not written a second time.
      ranges.push({ seg, offset, length, word: 0, fill: false });
    }
  }
  if (bulk) {
    const length = 2048 + int(4096);
    ranges.push({ seg: 0, offset: HEADER + int(SIZE_A - HEADER - length), length, word: mix32(stamp(seed, k) + 200), fill: true });
  }
  ranges.push({ seg: 0, offset: 0, length: HEADER, word: 0, fill: false });
  return ranges;
}

/** Writes range r's bytes for its transaction into buf (the segment's buffer). */
export function fillRange(buf: Buffer, r: TxRange): void {
  const w = r.word;
  for (let i = 0; i < r.length; i++) buf[r.offset + i] = ((w >>> ((i & 3) << 3)) + (i >>> 2)) & 0xff;
}

export function writeHeader(a: Buffer, seed: number, k: number): void {
  a.writeUInt32LE(k, 0);
  a.writeUInt32LE(stamp(seed, k), 4);
}

/** What transaction k does to an image: the same writes the child makes between setRange and commit. */
export function applyTx(image: Image, seed: number, k: number, ranges: TxRange[]): void {
  for (const r of ranges) if (r.fill) fillRange(r.seg === 0 ? image.a : image.b, r);
  writeHeader(image.a, seed, k);
}

/**
 * The k that an image's header names: 0 for an untouched image, -1 for a header whose stamp is
 * wrong (a torn or foreign header).
 */
export function headerK(a: Buffer, seed: number): number {
  const k = a.readUInt32LE(0);
  const s = a.readUInt32LE(4);
  if (k === 0 && s === 0) return 0;
  return s === stamp(seed, k) ? k : -1;
}

