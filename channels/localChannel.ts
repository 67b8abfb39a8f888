/**
 * LocalChannel: the handle API (types.ts `Channel<T>`) on a channel hosted by this runtime.
 *
 * A handle owns a cursor for get() with no argument: its own, or a named consumer's cursor
 * shared with every handle of that consumer (so they take turns: each item goes to one of
 * them). Everything else reads the shared HostedChannel directly.
 *
 * Guarantees: every method validates its input and rejects with a typed error instead of
 * throwing synchronously; the answers of get variants are in time order.
 */
import type { Observable } from "rxjs";
import { type Codec, InvalidOptionError, NotSupportedError, isTimestamp, now, timestampError } from "../runtime/index.ts";
import type { Cursor, HostedChannel } from "./hostedChannel.ts";
import { ItemsIterator } from "./itemsIterator.ts";
import { observeItems } from "./observe.ts";
import type { Bound, Channel, ChannelStats, GcHandler, Item, ItemsOptions, ObserveOptions, PutHandler, TriggerEvent, WaitOptions } from "./types.ts";

export class LocalChannel<T> implements Channel<T> {
  constructor(
    private readonly hosted: HostedChannel<T>,
    private readonly cursor: Cursor,
  ) {}

  get name(): string {
    return this.hosted.name;
  }

  get codec(): Codec<T> {
    return this.hosted.codec;
  }

  put(value: T, ts?: number): Promise<void> {
    return this.hosted.put(value, ts === undefined ? now() : ts);
  }

  get(): Promise<Item<T>>;
  get(ts: number): Promise<Item<T> | undefined>;
  get(which: "oldest" | "newest"): Promise<Item<T> | undefined>;
  get(lo: Bound, hi: Bound): Promise<Item<T>[]>;
  get(a?: Bound, b?: Bound): Promise<Item<T> | Item<T>[] | undefined> {
    if (a === undefined) return this.take();
    try {
      if (b !== undefined) return Promise.resolve(this.hosted.range(a, b));
      if (a === "newest") return Promise.resolve(this.hosted.index.newest());
      if (a === "oldest") return Promise.resolve(this.hosted.index.oldest());
      if (!isTimestamp(a)) throw timestampError(a);
      return Promise.resolve(this.hosted.index.at(a));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async next(afterTs: number, options: WaitOptions = {}): Promise<Item<T>> {
    if (!isTimestamp(afterTs)) throw timestampError(afterTs);
    const deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
    for (;;) {
      const item = this.hosted.index.firstAfter(afterTs);
      if (item !== undefined) return item;
      const left = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
      await this.hosted.waitAfter(afterTs, left, options.signal, options.timeoutMs);
    }
  }

  items(options: ItemsOptions = {}): AsyncIterableIterator<Item<T>> {
    return new ItemsIterator(this.hosted, options);
  }

  observe(options?: ObserveOptions): Observable<Item<T>> {
    return observeItems(this.hosted, options);
  }

  on(event: "put", handler: PutHandler<T>): () => void;
  on(event: "gc", handler: GcHandler<T>): () => void;
  on(event: TriggerEvent, handler: PutHandler<T> | GcHandler<T>): () => void {
    if (event === "put") return this.hosted.onPut(handler as PutHandler<T>);
    if (event === "gc") return this.hosted.onGc(handler as GcHandler<T>);
    if (event === "persist") throw new NotSupportedError('the "persist" trigger (it comes with persistent channels)');
    throw new InvalidOptionError("event", event, '"put" or "gc"');
  }

  stats(): ChannelStats {
    return this.hosted.stats();
  }

  /** The next item after this handle's cursor, waiting for it; advances the cursor. */
  private async take(): Promise<Item<T>> {
    const cursor = this.cursor;
    for (;;) {
      const item = this.hosted.index.firstAfter(cursor.after);
      if (item !== undefined) {
        cursor.after = item.ts;
        return item;
      }
      await this.hosted.waitAfter(cursor.after, undefined, undefined);
    }
  }
}
