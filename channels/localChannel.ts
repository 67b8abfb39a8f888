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
import { type Codec, InvalidOptionError, isTimestamp, now, timestampError } from "../runtime/index.ts";
import type { Cursor, HostedChannel } from "./hostedChannel.ts";
import { PersistentChannel } from "./persistentChannel.ts";
import { ItemsIterator } from "./itemsIterator.ts";
import { observeItems } from "./observe.ts";
import type { Bound, Channel, ChannelStats, GcHandler, Item, ItemsOptions, ObserveOptions, PersistHandler, PutHandler, TriggerEvent, WaitOptions } from "./types.ts";

export type Binding = { hosted: HostedChannel<unknown>; cursor: Cursor; consumer: string | undefined };

/** What each handle is bound to, for the runtime's cross-channel transactions. */
const bindings = new WeakMap<object, Binding>();

export function bindingOf(handle: object): Binding | undefined {
  return bindings.get(handle);
}

export class LocalChannel<T> implements Channel<T> {
  constructor(
    private readonly hosted: HostedChannel<T>,
    private readonly cursor: Cursor,
    /** The named consumer whose cursor this handle shares, if any. */
    readonly consumer?: string,
  ) {
    bindings.set(this as LocalChannel<unknown>, { hosted: hosted as HostedChannel<unknown>, cursor, consumer });
  }

  get name(): string {
    return this.hosted.name;
  }

  get codec(): Codec<T> {
    return this.hosted.codec;
  }

  put(value: T, ts?: number): Promise<void> {
    return this.hosted.callerPut(value, ts === undefined ? now() : ts);
  }

  get(): Promise<Item<T>>;
  get(ts: number): Promise<Item<T> | undefined>;
  get(which: "oldest" | "newest"): Promise<Item<T> | undefined>;
  get(lo: Bound, hi: Bound): Promise<Item<T>[]>;
  get(a?: Bound, b?: Bound): Promise<Item<T> | Item<T>[] | undefined> {
    this.hosted.gets++;
    if (a === undefined) return this.hosted.take(this.cursor);
    try {
      if (b !== undefined) return Promise.resolve(this.hosted.range(a, b));
      if (a === "newest") return Promise.resolve(this.hosted.newestItem());
      if (a === "oldest") return Promise.resolve(this.hosted.oldestItem());
      if (!isTimestamp(a)) throw timestampError(a);
      return Promise.resolve(this.hosted.at(a));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async next(afterTs: number, options: WaitOptions = {}): Promise<Item<T>> {
    if (!isTimestamp(afterTs)) throw timestampError(afterTs);
    this.hosted.gets++;
    return this.hosted.nextAfter(afterTs, options.timeoutMs, options.signal);
  }

  items(options: ItemsOptions = {}): AsyncIterableIterator<Item<T>> {
    return new ItemsIterator(this.hosted, options);
  }

  observe(options: ObserveOptions = {}): Observable<Item<T>> {
    return observeItems(() => new ItemsIterator(this.hosted, { from: options.from ?? "newest", to: options.to, follow: true }));
  }

  on(event: "put", handler: PutHandler<T>): () => void;
  on(event: "gc", handler: GcHandler<T>): () => void;
  on(event: "persist", handler: PersistHandler<T>): () => void;
  on(event: TriggerEvent, handler: PutHandler<T> | GcHandler<T> | PersistHandler<T>): () => void {
    if (event === "put") return this.hosted.onPut(handler as PutHandler<T>);
    if (event === "gc") return this.hosted.onGc(handler as GcHandler<T>);
    if (event === "persist") {
      if (this.hosted instanceof PersistentChannel) return this.hosted.onPersist(handler as PersistHandler<T>);
      throw new InvalidOptionError("event", event, 'a persistent channel (the "persist" trigger runs before items are stored on disk)');
    }
    throw new InvalidOptionError("event", event, '"put", "gc" or "persist"');
  }

  commit(ts?: number): Promise<void> {
    if (this.consumer === undefined) return Promise.reject(new InvalidOptionError("commit", "a handle without a consumer", "a handle from rt.lookup(name, { consumer })"));
    const after = ts ?? this.cursor.after;
    if (!isTimestamp(after) && after !== -1) return Promise.reject(timestampError(after));
    return this.hosted.commitCursor(this.consumer, after);
  }

  stats(): ChannelStats {
    return this.hosted.stats();
  }
}
