/**
 * PutFrame: builds the put message (protocol.ts) of a handle's fire-and-forget puts, one put
 * at a time, each value encoded straight into the frame's body. What is added until the
 * current callback and its promise jobs are done leaves together (process.nextTick), as the
 * Outbox batches; a frame that reaches its size leaves at once.
 *
 * @example
 *   const frame = new PutFrame("cam", jsonCodec, (bytes) => transport.publish(subject, bytes), () => maxPayload - FRAME_SLACK);
 *   frame.add(value, ts);   // ItemTooLargeError for a value above the limit, CodecError for one the codec refuses
 *
 * Why not the Outbox: a put encoded into its own buffer, wrapped in an object, then listed
 * in a header object that JSON.stringify encodes and copied into the frame took about a
 * fifth more client CPU per put (a ~90-byte JSON reading) than this: a put here is its
 * codec's encodeInto plus its [ts,length] written as bytes, and the body is copied once per
 * frame. Two reused 64 KiB buffers per fire-and-forget handle.
 *
 * Guarantees: items leave in the order added, each exactly once, and a refused put leaves
 * nothing behind; a frame holds at most min(BATCH_BYTES, maxFrame()) bytes of payloads and
 * per-item framing, except an item larger than BATCH_BYTES (and within maxFrame()), which
 * travels alone.
 */
import { type Codec, encodeInto, encodeMessage } from "../../runtime/index.ts";
import { ItemTooLargeError } from "../errors.ts";
import { BATCH_BYTES } from "./outbox.ts";
import { CLOSE_BRACKET, COMMA, DIGIT_0, ITEM_OVERHEAD, OPEN_BRACKET, PUT_PREFIX } from "./protocol.ts";

/** The end of the header around the items list (protocol.ts, put): {"items":[ ... ]}. */
const HEADER_CLOSE = Buffer.from("]}", "latin1");

export class PutFrame<T> {
  /** The payloads of the frame being built; copied into each frame, so it is reused. */
  private readonly body = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private count = 0;
  /**
   * The header's items list so far, "[ts,length],[ts,length]", as ASCII bytes. An item takes
   * at most 25 of them (16 digits of ts, 5 of length), within the ITEM_OVERHEAD it is counted
   * for, so the list never outgrows a batch.
   */
  private readonly list = Buffer.allocUnsafe(BATCH_BYTES);
  private listed = 0;
  /** The frame's size limit, read when its first item comes. */
  private limit = BATCH_BYTES;
  private readonly flushSoon = () => process.nextTick(() => this.flush());

  constructor(
    private readonly name: string,
    private readonly codec: Codec<T>,
    private readonly send: (frame: Uint8Array) => void,
    private readonly maxFrame: () => number,
  ) {}

  add(value: T, ts: number): void {
    if (this.count === 0) this.limit = Math.min(BATCH_BYTES, this.maxFrame());
    let end = encodeInto(this.codec, value, this.body, this.used, this.limit - (this.count + 1) * ITEM_OVERHEAD);
    if (end < 0 && this.count > 0) {
      this.flush();
      this.limit = Math.min(BATCH_BYTES, this.maxFrame());
      end = encodeInto(this.codec, value, this.body, 0, this.limit - ITEM_OVERHEAD);
    }
    if (end < 0) return this.sendAlone(value, ts);
    this.listItem(ts, end - this.used);
    this.used = end;
    if (++this.count === 1) this.flushSoon();
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.count === 0) return;
    const headerLength = PUT_PREFIX.byteLength + this.listed + HEADER_CLOSE.byteLength;
    const frame = Buffer.allocUnsafe(4 + headerLength + this.used);
    frame.writeUInt32LE(headerLength, 0);
    let at = 4 + PUT_PREFIX.copy(frame, 4);
    at += this.list.copy(frame, at, 0, this.listed);
    at += HEADER_CLOSE.copy(frame, at);
    this.body.copy(frame, at, 0, this.used);
    this.used = 0;
    this.count = 0;
    this.listed = 0;
    this.send(frame);
  }

  /**
   * Appends "[ts,length]" (after a comma but for the first) to the list. Digits are written as
   * bytes: a template string per put, flattened and copied at the end, was a tenth of a put.
   */
  private listItem(ts: number, length: number): void {
    const list = this.list;
    let at = this.listed;
    if (this.count > 0) list[at++] = COMMA;
    list[at++] = OPEN_BRACKET;
    // A microsecond timestamp is beyond V8's small integers: it is written as two halves that are not.
    const high = Math.floor(ts / 1e8);
    if (high > 0) {
      at = writeDigits(list, at, high);
      at = writePadded(list, at, ts - high * 1e8, 8);
    } else at = writeDigits(list, at, ts);
    list[at++] = COMMA;
    at = writeDigits(list, at, length);
    list[at++] = CLOSE_BRACKET;
    this.listed = at;
  }

  /** A value larger than a batch: its own frame, when it fits in one. */
  private sendAlone(value: T, ts: number): void {
    const payload = this.codec.encode(value);
    checkFrameRoom(this.name, payload, this.maxFrame());
    this.send(encodeMessage({ items: [[ts, payload.byteLength]] }, [payload]));
  }
}

/** Writes n (a small non-negative integer) in decimal at `at`; returns where it ends. */
function writeDigits(target: Buffer, at: number, n: number): number {
  let width = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) width++;
  return writePadded(target, at, n, width);
}

/** Writes n in exactly `width` decimal digits, zero-padded, at `at`; returns where it ends. */
function writePadded(target: Buffer, at: number, n: number, width: number): number {
  let x = n;
  for (let k = at + width - 1; k >= at; k--) {
    const q = Math.floor(x / 10);
    target[k] = DIGIT_0 + x - q * 10;
    x = q;
  }
  return at + width;
}

/** Throws ItemTooLargeError when a payload does not fit in a frame of at most `limit` payload bytes. */
export function checkFrameRoom(name: string, payload: Uint8Array, limit: number): void {
  if (payload.byteLength > limit) throw new ItemTooLargeError(name, payload.byteLength, limit, "NATS max_payload (less framing)");
}
