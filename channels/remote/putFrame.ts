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
 * in a header object that JSON.stringify encodes and copied into the frame cost the client
 * about 1 µs of its ~3.5 µs per put; here a put is its codec's encodeInto plus a few string
 * concatenations, and the body is copied once per frame.
 *
 * Guarantees: items leave in the order added, each exactly once, and a refused put leaves
 * nothing behind; a frame holds at most min(BATCH_BYTES, maxFrame()) bytes of payloads and
 * per-item framing, except an item larger than BATCH_BYTES (and within maxFrame()), which
 * travels alone.
 */
import { type Codec, encodeInto, encodeMessage } from "../../runtime/index.ts";
import { ItemTooLargeError } from "../errors.ts";
import { BATCH_BYTES } from "./outbox.ts";
import { ITEM_OVERHEAD } from "./protocol.ts";

export class PutFrame<T> {
  /** The payloads of the frame being built; copied into each frame, so it is reused. */
  private readonly body = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private count = 0;
  /** The header's items list so far: "[ts,length],[ts,length]". */
  private list = "";
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
    this.list += `${this.count === 0 ? "[" : ",["}${digits(ts)},${end - this.used}]`;
    this.used = end;
    if (++this.count === 1) this.flushSoon();
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.count === 0) return;
    const header = `{"items":[${this.list}]}`;
    // The header is ASCII (numbers and punctuation): one byte per character.
    const frame = Buffer.allocUnsafe(4 + header.length + this.used);
    frame.writeUInt32LE(header.length, 0);
    frame.write(header, 4, "latin1");
    this.body.copy(frame, 4 + header.length, 0, this.used);
    this.used = 0;
    this.count = 0;
    this.list = "";
    this.send(frame);
  }

  /** A value larger than a batch: its own frame, when it fits in one. */
  private sendAlone(value: T, ts: number): void {
    const payload = this.codec.encode(value);
    const limit = this.maxFrame();
    if (payload.byteLength > limit) throw new ItemTooLargeError(this.name, payload.byteLength, limit, "NATS max_payload (less framing)");
    this.send(encodeMessage({ items: [[ts, payload.byteLength]] }, [payload]));
  }
}

/**
 * A timestamp's decimal digits. Microsecond timestamps are beyond V8's small integers, and
 * printing such a number took about 0.2 µs, a tenth of a put; two small halves print in a
 * third of that.
 */
function digits(ts: number): string {
  if (ts < 1e8) return String(ts);
  const high = Math.floor(ts / 1e8);
  return `${high}${String(ts - high * 1e8 + 1e8).slice(1)}`;
}
