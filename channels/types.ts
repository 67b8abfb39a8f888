/**
 * The types of the channels layer: items, bounds, options, and the handle interface that local
 * and remote channels share.
 */
import type { Observable } from "rxjs";
import type { Codec, CodecSpec } from "../runtime/index.ts";

/** One item of a channel: a value at a timestamp (integer µs since the Unix epoch). */
export type Item<T> = { readonly ts: number; readonly value: T };

/** A position in a channel: a timestamp, or the channel's oldest or newest item at call time. */
export type Bound = number | "oldest" | "newest";

export type DuplicatePolicy = "reject" | "replace" | "keep-first";

/** Limits of the live window kept in memory. Any limit reached evicts the oldest items. */
export type RetainOptions = {
  /** Keep items whose ts is within this many ms of the newest item's ts. */
  ms?: number;
  /** Keep at most this many items. */
  count?: number;
  /** Keep at most this many encoded bytes. */
  bytes?: number;
};

export type PersistOptions = {
  mode: "sync" | "checkpoint";
  everyMs?: number;
  history?: { ms?: number; bytes?: number };
};

export type ChannelOptions<T> = {
  retain?: RetainOptions;
  persist?: PersistOptions;
  codec?: CodecSpec<T>;
  onDuplicate?: DuplicatePolicy;
};

export type LookupOptions = {
  /** Where this handle's cursor starts: get() first returns the item at this bound (default "newest"). */
  from?: Bound;
  /** A named, shared cursor: handles with the same consumer name take turns on one cursor. */
  consumer?: string;
  /** Remote channels: the codec, when the host uses a custom one (json and binary are known by name). */
  codec?: Codec<unknown>;
  /** Remote channels: false makes puts fire-and-forget (no acknowledgement). Default true. */
  ack?: boolean;
  /** Remote channels: how long lookup and requests wait for the host. Default 2000 ms for lookup. */
  timeoutMs?: number;
};

export type WaitOptions = {
  /** Give up with WaitTimeoutError after this many ms. Default: wait until the runtime stops. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type ItemsOptions = {
  /** First item (inclusive). Default "oldest". */
  from?: Bound;
  /** Last item (inclusive). Default: no end. */
  to?: Bound;
  /** After the stored items, wait for live ones (until `to`, or forever). Default false. */
  follow?: boolean;
  signal?: AbortSignal;
};

export type ObserveOptions = {
  /** First item (inclusive). Default "newest". */
  from?: Bound;
  to?: Bound;
};

export type TriggerEvent = "put" | "gc" | "persist";
export type PutHandler<T> = (item: Item<T>) => unknown;
export type GcHandler<T> = (items: readonly Item<T>[]) => unknown;
/** Runs before an item is stored on disk; returns the value to store instead (a pickled form), or undefined to store it as is. */
export type PersistHandler<T> = (item: Item<T>) => T | undefined;

export type ChannelStats = {
  name: string;
  items: number;
  /** Encoded bytes in the live window, or null when the channel does not track bytes (no retain.bytes). */
  bytes: number | null;
  oldest: number | undefined;
  newest: number | undefined;
  puts: number;
  evicted: number;
  /** Persistent channels: what is on disk, records found damaged, and puts not yet durable. */
  stored?: { items: number; bytes: number; corrupt: number; pending: number };
};

/** The handle API: the same for a channel hosted here and one reached over NATS. */
export interface Channel<T> {
  readonly name: string;
  readonly codec: Codec<T>;
  put(value: T, ts?: number): Promise<void>;
  /** The next item after this handle's cursor; waits for it, then advances the cursor. */
  get(): Promise<Item<T>>;
  /** The item exactly at ts, if any. */
  get(ts: number): Promise<Item<T> | undefined>;
  get(which: "oldest" | "newest"): Promise<Item<T> | undefined>;
  /** Items with lo <= ts <= hi, in time order. */
  get(lo: Bound, hi: Bound): Promise<Item<T>[]>;
  /** The first item with ts > afterTs; waits for it. */
  next(afterTs: number, options?: WaitOptions): Promise<Item<T>>;
  items(options?: ItemsOptions): AsyncIterable<Item<T>>;
  observe(options?: ObserveOptions): Observable<Item<T>>;
  on(event: "put", handler: PutHandler<T>): () => void;
  on(event: "gc", handler: GcHandler<T>): () => void;
  on(event: "persist", handler: PersistHandler<T>): () => void;
  /**
   * Makes this handle's named-consumer cursor durable at ts (default: the last item get()
   * returned), on a persistent channel; resolves when it is on disk. A no-op elsewhere.
   */
  commit(ts?: number): Promise<void>;
  stats(): ChannelStats;
}
