/**
 * Outbox: gathers encoded items and sends them as few frames as it can. What is added until
 * the current callback and its promise jobs are done leaves together (process.nextTick runs
 * after those, before the event loop turns); a batch that reaches BATCH_BYTES leaves at once.
 *
 * @example
 *   const out = new Outbox<Encoded>((batch) => publish(frameEncoded({}, batch)), () => maxPayload - 256);
 *   out.add({ ts, payload });
 *
 * Guarantees: items are sent in the order added, each exactly once; a batch holds at most
 * min(BATCH_BYTES, maxFrame()) bytes of payloads and per-item framing, except an item larger
 * than that, which travels alone.
 */
import { type Encoded, ITEM_OVERHEAD } from "./protocol.ts";

/**
 * Frames of 64 KiB let the receiver work on one while the sender still encodes the next: a
 * burst of 20k fire-and-forget puts reached the host about twice as fast as in 1 MiB frames,
 * and 16 KiB frames were slower again.
 */
export const BATCH_BYTES = 64 * 1024;

export class Outbox<E extends Encoded> {
  private pending: E[] = [];
  private bytes = 0;
  /**
   * nextTick, not setImmediate: a lone acked put is sent without waiting for the event loop,
   * yet callers resumed by one reply (each through a few promise jobs) still share a batch.
   */
  private readonly flushSoon = () => process.nextTick(() => this.flush());

  constructor(
    private readonly send: (batch: E[]) => void,
    private readonly maxFrame: () => number,
  ) {}

  add(item: E): void {
    const size = item.payload.byteLength + ITEM_OVERHEAD;
    if (this.pending.length > 0 && this.bytes + size > Math.min(BATCH_BYTES, this.maxFrame())) this.flush();
    this.pending.push(item);
    this.bytes += size;
    if (this.pending.length === 1) this.flushSoon();
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    this.send(batch);
  }
}
