/**
 * HostedChannel: a channel hosted by this runtime — its live window, duplicate policy,
 * retention, waiters, named-consumer cursors and triggers. Handles (channels/localChannel.ts)
 * are views onto it; any number of handles share one HostedChannel.
 *
 * Guarantees:
 * - Items are kept in time order whatever order they are put in; timestamps are unique.
 * - A put is stored, retention applied, waiters woken and put triggers called before it
 *   resolves. Bad input (timestamp, value the codec refuses, oversized item) rejects with a
 *   typed error and changes nothing.
 * - A trigger that throws never fails the put: its error goes to the runtime's onError.
 * - A remote put (putReceived) is stored as its bytes and decoded on its first read
 *   (receivedItem.ts); every item handed out (reads, waits, triggers) is decoded, except by
 *   the stored accessors (storedAt, storedPage, ...), which serve remote reads with the bytes
 *   as they are.
 * - close() fails every pending wait with ChannelClosedError and refuses later puts.
 */
import { type Codec, type LatencyHistogram, encodedSize, isTimestamp, timestampError } from "../runtime/index.ts";
import { ChannelClosedError, DuplicateTimestampError, ItemTooLargeError, WaitAbortedError, WaitTimeoutError } from "./errors.ts";
import { type Page, pageOf } from "./page.ts";
import { ReceivedItem, opened } from "./receivedItem.ts";
import { type Retention, excess } from "./retention.ts";
import type { ItemSource } from "./itemsIterator.ts";
import { TimeIndex } from "./timeIndex.ts";
import type { Bound, ChannelStats, DuplicatePolicy, GcHandler, Item, PutHandler } from "./types.ts";
import { WaiterQueue } from "./waiters.ts";

/** A cursor: the timestamp of the last item taken; -1 before the first. */
export type Cursor = { after: number };

export type ErrorReporter = (err: unknown, context: string) => void;

const RESOLVED: Promise<void> = Promise.resolve();

export class HostedChannel<T> implements ItemSource<T> {
  readonly index: TimeIndex<T>;
  readonly consumers = new Map<string, Cursor>();
  protected readonly waiters = new WaiterQueue();
  protected putHandlers: PutHandler<T>[] = [];
  /**
   * The host's live publisher (channels/remote/channelHost.ts): told of each item as stored,
   * before the put triggers, without decoding a received item.
   */
  liveSink: ((item: Item<T>) => void) | undefined;
  private gcHandlers: GcHandler<T>[] = [];
  protected readonly measure: boolean;
  protected closed = false;
  puts = 0;
  evicted = 0;
  /** get() and next() calls answered (counted by the local handles and by the host for remote get requests; internal reads are not gets). */
  gets = 0;
  /**
   * Put latencies, timed by the handles once this is set: by the metrics, at their first scrape,
   * for channels whose puts wait for the disk. Until then, and without metrics, no put is timed.
   */
  putLatency: LatencyHistogram | undefined;

  constructor(
    readonly name: string,
    readonly codec: Codec<T>,
    readonly retention: Retention,
    readonly onDuplicate: DuplicatePolicy,
    protected readonly reportError: ErrorReporter,
  ) {
    this.measure = retention.bytes !== undefined;
    this.index = new TimeIndex<T>(this.measure);
  }

  /** A put from a caller (a handle, or a remote put at the host): timed when putLatency is set. */
  callerPut(value: T, ts: number): Promise<void> {
    return this.timedSince(this.putStart(), this.put(value, ts));
  }

  /**
   * When a put starts, for timedSince: a clock read only while putLatency is set (a read costs
   * about 0.2 µs on this machine, close to half a put into memory); -1 otherwise.
   */
  private putStart(): number {
    return this.putLatency === undefined ? -1 : performance.now();
  }

  /** The put, its latency observed when it settles if it was timed from `started`. */
  private timedSince(started: number, put: Promise<void>): Promise<void> {
    const latency = this.putLatency;
    if (started < 0 || latency === undefined) return put;
    return put.then(() => latency.observe((performance.now() - started) / 1000));
  }

  put(value: T, ts: number): Promise<void> {
    let size: number;
    try {
      size = this.admit(value, ts);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.putAdmitted({ ts, value }, size, undefined);
  }

  /**
   * Whether putReceived keeps a remote put's bytes as they came (a memory channel always; a
   * persistent one unless a persist trigger must see the value), rather than decoding them
   * and putting the value.
   */
  keepsReceived(): boolean {
    return true;
  }

  /**
   * A remote put, as the bytes its value came in, on a channel that keepsReceived() (the caller
   * checks): checked (a payload the codec cannot decode is refused with its CodecError, as
   * decoding it would be) and stored undecoded. Timed as callerPut.
   */
  putReceived(ts: number, payload: Uint8Array): Promise<void> {
    const started = this.putStart();
    let item: ReceivedItem<T>;
    let size = 0;
    try {
      this.checkOpenAt(ts);
      item = ReceivedItem.accept(ts, payload, this.codec);
      if (this.measure) this.checkFits((size = payload.byteLength));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.timedSince(started, this.putAdmitted(item, size, payload));
  }

  /**
   * Stores an admitted item; `payload` is its codec's bytes when they are at hand (a remote
   * put's). A memory channel puts it into the window, as onDuplicate says when its ts is taken.
   */
  protected putAdmitted(item: Item<T>, size: number, _payload: Uint8Array | undefined): Promise<void> {
    if (this.index.insert(item, size) !== undefined) {
      if (this.onDuplicate === "reject") return Promise.reject(new DuplicateTimestampError(this.name, item.ts));
      if (this.onDuplicate === "keep-first") return RESOLVED;
      this.index.replace(item, size);
    }
    this.published(item);
    return RESOLVED;
  }

  /**
   * Throws why a put must be refused (closed, bad timestamp, a value the codec refuses, too
   * large); otherwise returns the value's encoded size (0 when bytes are not tracked).
   */
  protected admit(value: T, ts: number): number {
    this.checkOpenAt(ts);
    this.codec.check?.(value);
    if (!this.measure) return 0;
    const size = encodedSize(this.codec, value);
    this.checkFits(size);
    return size;
  }

  /** Throws when the channel is closed or `ts` is not a timestamp. */
  private checkOpenAt(ts: number): void {
    if (this.closed) throw new ChannelClosedError(this.name);
    if (!isTimestamp(ts)) throw timestampError(ts);
  }

  /** Throws when an item of `size` encoded bytes can never fit retain.bytes. */
  private checkFits(size: number): void {
    if (size > this.retention.bytes!) throw new ItemTooLargeError(this.name, size, this.retention.bytes!);
  }

  /** After an item entered the window: retention, waiters, put triggers. */
  protected published(item: Item<T>): void {
    this.puts++;
    const n = excess(this.index, this.retention);
    if (n > 0) this.evict(n);
    if (this.waiters.length > 0) this.waiters.wake(item.ts);
    this.liveSink?.(item);
    if (this.putHandlers.length > 0) this.fire(this.putHandlers, opened(item), "put trigger");
  }

  /**
   * The stored accessors give items as stored: a remotely put one may be undecoded, so that a
   * remote read at the host sends its bytes without decoding them (channels/remote/
   * channelHost.ts). A subclass with items beyond the window (persistence) overrides these;
   * the reads below decode what they return.
   */
  storedAt(ts: number): Item<T> | undefined {
    return this.index.at(ts);
  }

  storedOldest(): Item<T> | undefined {
    return this.index.oldest();
  }

  storedNewest(): Item<T> | undefined {
    return this.index.newest();
  }

  storedFirstAfter(afterTs: number): Item<T> | undefined {
    return this.index.firstAfter(afterTs);
  }

  /**
   * The first stored items with lo <= ts <= hi, in order: at most `limit`, and every one up to
   * `through` (fewer with `through` short of `hi` where damaged records on disk were skipped).
   * A remote range reads page by page, so that each page costs its own items, not the range's.
   */
  storedPage(lo: number, hi: number, limit: number): Page<Item<T>> {
    return pageOf(this.index.range(lo, hi, limit), limit, hi);
  }

  at(ts: number): Item<T> | undefined {
    return opened(this.storedAt(ts));
  }

  oldestItem(): Item<T> | undefined {
    return opened(this.storedOldest());
  }

  newestItem(): Item<T> | undefined {
    return opened(this.storedNewest());
  }

  firstAfter(afterTs: number): Item<T> | undefined {
    return opened(this.storedFirstAfter(afterTs));
  }

  /** Items between two bounds, in order, decoded. */
  range(lo: Bound, hi: Bound): Item<T>[] {
    const a = this.resolve(lo);
    const b = this.resolve(hi);
    if (a === undefined || b === undefined) return [];
    const items = this.storedPage(a, b, Infinity).items;
    for (const item of items) opened(item);
    return items;
  }

  /** Resolves a bound to a timestamp; undefined when it names an item of an empty channel. */
  resolve(bound: Bound): number | undefined {
    if (bound === "oldest") return this.storedOldest()?.ts;
    if (bound === "newest") return this.storedNewest()?.ts;
    if (!isTimestamp(bound)) throw timestampError(bound);
    return bound;
  }

  /** Cursor position for a handle that starts at `from`. */
  startAfter(from: Bound): number {
    if (from === "oldest") return -1;
    const ts = this.resolve(from);
    return ts === undefined ? -1 : ts - 1;
  }

  /**
   * Resolves once an item with ts > afterTs may exist; the caller looks again. `askedMs` is the
   * caller's whole timeout, for the error message, when timeoutMs is what is left of it.
   */
  waitAfter(afterTs: number, timeoutMs: number | undefined, signal: AbortSignal | undefined, askedMs = timeoutMs): Promise<void> {
    if (this.closed) return Promise.reject(new ChannelClosedError(this.name));
    return this.waiters.wait(
      afterTs,
      timeoutMs,
      signal,
      () => new WaitTimeoutError(this.name, afterTs, askedMs!),
      (reason) => new WaitAbortedError(this.name, reason),
    );
  }

  /** Makes a named consumer's cursor durable; memory-only channels have nothing to make durable. */
  commitCursor(_consumer: string, _after: number): Promise<void> {
    return RESOLVED;
  }

  /** The first item with ts > afterTs, waiting for it (up to timeoutMs, then WaitTimeoutError). */
  async nextAfter(afterTs: number, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<Item<T>> {
    return opened(await this.storedNextAfter(afterTs, timeoutMs, signal));
  }

  /** nextAfter, the item as stored. */
  async storedNextAfter(afterTs: number, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<Item<T>> {
    if (!isTimestamp(afterTs) && afterTs !== -1) throw timestampError(afterTs);
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    for (;;) {
      const item = this.storedFirstAfter(afterTs);
      if (item !== undefined) return item;
      const left = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
      await this.waitAfter(afterTs, left, signal, timeoutMs);
    }
  }

  /** The next item after a cursor, waiting for it; advances the cursor. */
  async take(cursor: Cursor, timeoutMs?: number, signal?: AbortSignal): Promise<Item<T>> {
    return opened(await this.storedTake(cursor, timeoutMs, signal));
  }

  /** take, the item as stored. */
  async storedTake(cursor: Cursor, timeoutMs?: number, signal?: AbortSignal): Promise<Item<T>> {
    for (;;) {
      const item = await this.storedNextAfter(cursor.after, timeoutMs, signal);
      // Another taker of a shared cursor may have moved it while this one waited.
      if (item.ts > cursor.after) {
        cursor.after = item.ts;
        return item;
      }
    }
  }

  consumer(name: string, from: Bound): Cursor {
    let cursor = this.consumers.get(name);
    if (!cursor) {
      cursor = { after: this.startAfter(from) };
      this.consumers.set(name, cursor);
    }
    return cursor;
  }

  onPut(handler: PutHandler<T>): () => void {
    this.putHandlers = [...this.putHandlers, handler];
    return () => {
      this.putHandlers = this.putHandlers.filter((h) => h !== handler);
    };
  }

  onGc(handler: GcHandler<T>): () => void {
    this.gcHandlers = [...this.gcHandlers, handler];
    return () => {
      this.gcHandlers = this.gcHandlers.filter((h) => h !== handler);
    };
  }

  stats(): ChannelStats {
    return {
      name: this.name,
      items: this.index.size,
      bytes: this.index.tracksBytes ? this.index.bytes : null,
      oldest: this.index.oldest()?.ts,
      newest: this.index.newest()?.ts,
      puts: this.puts,
      evicted: this.evicted,
    };
  }

  /** Callers waiting for an item now. */
  get waiting(): number {
    return this.waiters.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiters.close(new ChannelClosedError(this.name));
  }

  protected evict(n: number): void {
    const gone = this.index.evict(n, this.gcHandlers.length > 0);
    this.evicted += n;
    if (gone) {
      for (const item of gone) opened(item);
      this.fire(this.gcHandlers, gone, "gc trigger");
    }
  }

  protected fire<A>(handlers: ((arg: A) => unknown)[], arg: A, context: string): void {
    for (const h of handlers) {
      try {
        const r = h(arg);
        if (r instanceof Promise) r.catch((err: unknown) => this.reportError(err, `${context} of channel ${JSON.stringify(this.name)}`));
      } catch (err) {
        this.reportError(err, `${context} of channel ${JSON.stringify(this.name)}`);
      }
    }
  }
}
