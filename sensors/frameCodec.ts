/**
 * frameCodec: a Codec<Frame> that stores a frame as a 28-byte header, the camera id and the
 * JPEG bytes, so frame channels keep and ship frames at the size of their JPEGs (JSON would
 * base64 them: a third larger, and slow).
 *
 * Layout (all integers little-endian):
 *
 * | offset | size | field                                                        |
 * | ------ | ---- | ------------------------------------------------------------ |
 * | 0      | 4    | magic "PTSF" (0x50 0x54 0x53 0x46)                           |
 * | 4      | 1    | version, 1                                                   |
 * | 5      | 1    | L: length of the camera id in UTF-8 bytes (0..255)           |
 * | 6      | 2    | width, u16                                                   |
 * | 8      | 2    | height, u16                                                  |
 * | 10     | 2    | reserved, zero                                               |
 * | 12     | 8    | seq, u64 (at most 2^53 - 1)                                  |
 * | 20     | 8    | ts, u64 µs since the Unix epoch (at most 2^53 - 1)           |
 * | 28     | L    | camera id, UTF-8                                             |
 * | 28 + L | rest | the JPEG bytes, to the end of the record                     |
 *
 * Validity: the magic and version match, 28 + L <= length, and the JPEG part starts with SOI
 * (0xFF 0xD8). Anything else is refused with CodecError, on encode and decode alike.
 *
 * Guarantees: decode(encode(f)) equals f. decode does not copy: the frame's `jpeg` is a view
 * of the bytes it was given.
 *
 * @example
 *   const video = await rt.channel<Frame>("video", { codec: frameCodec, retain: { bytes: 64 << 20 } });
 */
import { CodecError, type Codec } from "../runtime/index.ts";
import type { Frame } from "./types.ts";

export const FRAME_MAGIC = 0x46535450; // "PTSF" read as u32 LE
export const FRAME_VERSION = 1;
export const FRAME_HEADER = 28;

function fail(what: string): never {
  throw new CodecError("frame", what);
}

function check(f: Frame): number {
  if (f === null || typeof f !== "object") fail(`expected a Frame object, got ${f === null ? "null" : typeof f}`);
  if (!(f.jpeg instanceof Uint8Array)) fail("frame.jpeg must be a Buffer");
  if (f.jpeg.length < 2 || f.jpeg[0] !== 0xff || f.jpeg[1] !== 0xd8) fail("frame.jpeg does not start with a JPEG SOI marker");
  if (typeof f.camera !== "string") fail("frame.camera must be a string");
  const idBytes = Buffer.byteLength(f.camera, "utf8");
  if (idBytes > 255) fail(`frame.camera is ${idBytes} UTF-8 bytes; at most 255`);
  for (const k of ["width", "height"] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 0 || f[k] > 0xffff) fail(`frame.${k} must be an integer 0..65535`);
  }
  for (const k of ["seq", "ts"] as const) {
    if (!Number.isSafeInteger(f[k]) || f[k] < 0) fail(`frame.${k} must be a non-negative safe integer`);
  }
  return idBytes;
}

export const frameCodec: Codec<Frame> = {
  name: "frame",
  encode(f) {
    const idBytes = check(f);
    const out = Buffer.allocUnsafe(FRAME_HEADER + idBytes + f.jpeg.length);
    out.writeUInt32LE(FRAME_MAGIC, 0);
    out[4] = FRAME_VERSION;
    out[5] = idBytes;
    out.writeUInt16LE(f.width, 6);
    out.writeUInt16LE(f.height, 8);
    out.writeUInt16LE(0, 10);
    out.writeBigUInt64LE(BigInt(f.seq), 12);
    out.writeBigUInt64LE(BigInt(f.ts), 20);
    out.write(f.camera, FRAME_HEADER, "utf8");
    out.set(f.jpeg, FRAME_HEADER + idBytes);
    return out;
  },
  decode(bytes) {
    const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.length < FRAME_HEADER + 2) fail(`${b.length} bytes is too short for a frame`);
    if (b.readUInt32LE(0) !== FRAME_MAGIC) fail("bad magic: these bytes are not a frame record");
    if (b[4] !== FRAME_VERSION) fail(`unknown frame record version ${b[4]}`);
    const idEnd = FRAME_HEADER + b[5];
    if (idEnd + 2 > b.length || b[idEnd] !== 0xff || b[idEnd + 1] !== 0xd8) fail("the frame's JPEG part is missing or does not start with SOI");
    const seq = Number(b.readBigUInt64LE(12));
    const ts = Number(b.readBigUInt64LE(20));
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(ts)) fail("seq or ts is beyond 2^53 - 1");
    return {
      camera: b.toString("utf8", FRAME_HEADER, idEnd),
      seq,
      width: b.readUInt16LE(6),
      height: b.readUInt16LE(8),
      ts,
      jpeg: b.subarray(idEnd),
    };
  },
  sizeOf(f) {
    return FRAME_HEADER + Buffer.byteLength(f.camera, "utf8") + f.jpeg.length;
  },
  check(f) {
    check(f);
  },
};
