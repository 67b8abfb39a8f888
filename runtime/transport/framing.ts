/**
 * Framing: one message = a JSON header and a binary body, so values travel as their codec's
 * bytes with no base64 and no second encoding.
 *
 *   offset  size  field
 *        0     4  header length H (little-endian)
 *        4     H  header: UTF-8 JSON object
 *      4+H     -  body: the bytes of zero or more parts, back to back; the header says how to
 *                 split them (e.g. a list of lengths)
 *
 * Guarantee: decodeMessage(encodeMessage(h, parts)) gives h back and the parts' bytes in order;
 * a malformed frame throws FrameError, never returns garbage. extendHeader(frame, fields)
 * decodes as the frame's header with `fields` set (over any of the same name) and its body.
 */
import { PtsError } from "../errors.ts";

export class FrameError extends PtsError {
  static readonly code = "PTS_FRAME";
  constructor(why: string) {
    super(FrameError.code, `malformed PTS message: ${why}; are both sides running compatible PTS versions?`);
  }
}

export function encodeMessage(header: object, parts: readonly Uint8Array[] = []): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  let size = 4 + json.byteLength;
  for (const p of parts) size += p.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(json.byteLength, 0);
  json.copy(out, 4);
  let at = 4 + json.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function decodeMessage<H>(bytes: Uint8Array): { header: H; body: Uint8Array } {
  if (bytes.byteLength < 4) throw new FrameError("shorter than its length field");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = buf.readUInt32LE(0);
  if (4 + len > buf.byteLength) throw new FrameError(`header length ${len} exceeds the message`);
  let header: H;
  try {
    header = JSON.parse(buf.toString("utf8", 4, 4 + len)) as H;
  } catch (err) {
    throw new FrameError(`header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null) throw new FrameError("header is not an object");
  return { header, body: buf.subarray(4 + len) };
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The frame with fields added to its header, the body copied as bytes: nothing is parsed or
 * encoded again, so forwarding a batch costs a copy rather than a JSON encoding of its header
 * and a copy per part. The fields go last, so they win over any of the same name. Undefined
 * when the header is not a bare JSON object (whitespace around it), which encodeMessage never
 * writes.
 */
export function extendHeader(bytes: Uint8Array, fields: object): Uint8Array | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < 6) return undefined;
  const len = buf.readUInt32LE(0);
  const close = 4 + len - 1;
  if (len < 2 || close >= buf.byteLength || buf[4] !== OPEN_BRACE || buf[close] !== CLOSE_BRACE) return undefined;
  const json = JSON.stringify(fields);
  const added = Buffer.from((buf[close - 1] === OPEN_BRACE ? "" : ",") + json.slice(1), "utf8");
  const out = Buffer.allocUnsafe(buf.byteLength + added.byteLength - 1);
  out.writeUInt32LE(len - 1 + added.byteLength, 0);
  buf.copy(out, 4, 4, close);
  added.copy(out, close);
  buf.copy(out, close + added.byteLength, close + 1);
  return out;
}
