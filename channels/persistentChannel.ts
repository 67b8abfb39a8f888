/**
 * PersistentChannel: a hosted channel whose items are also kept on disk (persistence/), with a
 * live window in memory in front of the history on disk.
 *
 * The live window always holds a suffix in time of all items: every item with ts >= `floor`.
 * Reads at or after `floor` are answered from memory; older ones from disk (and, in checkpoint
 * mode, from items not yet checkpointed). So one get spans disk and memory, and a window
 * emptied by a restart is refilled from disk before anything is read.
 *
 * Modes:
 * - "sync": a put resolves once its record and index entry are durable; only then is the item
 *   visible. Concurrent puts share fsyncs (the Journal's group commit).
 * - "checkpoint": a put is visible at once; every `everyMs` (sooner once CHECKPOINT_BYTES are
 *   pending, and at stop) one LRVM transaction makes the puts since the last checkpoint
 *   durable. A crash loses at most those. A put costs a memory put plus encoding its record
 *   into the pending log; the checkpoint indexes and writes the log's buffers in bulk. Past
 *   MAX_PENDING_BYTES pending, a put resolves when the running checkpoint ends, or the next try
 *   of a failed one (backpressure for producers that await their puts).
 *
 * A remote put arrives as bytes (putReceived): unless a persist trigger must see the value,
 * those bytes become its record as they are, and the window holds them undecoded until a read.
 * Records read back from disk are decoded only when read, so a remote read sends them as they are.
 *
 * Guarantees: a put that resolved in sync mode survives any crash; a duplicate timestamp is
 * detected against memory, pending items and disk alike; every read decodes what it returns.
 */
import { DuplicateTimestampError, StoreFullError } from "./errors.ts";
import { type Cursor, type ErrorReporter, HostedChannel } from "./hostedChannel.ts";
import type { Page } from "./page.ts";
import type { ChannelStore, History, StoredItem } from "./persistence/channelStore.ts";
import type { Journal, StoreWrite } from "./persistence/journal.ts";
import { PendingLog } from "./persistence/pendingLog.ts";
import { recordChunk } from "./persistence/recordChunk.ts";
import { type Retention, excess } from "./retention.ts";
import type { Bound, ChannelStats, DuplicatePolicy, Item, PersistHandler, PersistOptions } from "./types.ts";
import { Backoff, type Codec } from "../runtime/index.ts";
import { ReceivedItem } from "./receivedItem.ts";
import { MAX_CONSUMERS } from "./persistence/format.ts";

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => undefined;

export type StagedPut = { write: StoreWrite; done: () => void; failed: () => void };
export const DEFAULT_CHECKPOINT_MS = 1000;
/**
 * Pending bytes that start a checkpoint before everyMs is up: they bound the memory pending
 * items take, and the work that rt.stop() (or a crash) finds left, at high put rates.
 */
export const CHECKPOINT_BYTES = 32 * 1024 * 1024;
/**
 * Pending bytes past which a put, while a checkpoint runs (or a failed one waits to be
 * retried), resolves only once that checkpoint (or the retry) is done; its item is taken and
 * visible at once all the same. A producer that awaits its puts then goes at the disk's pace,
 * and the memory its pending items take stays bounded (and reused: fresh pages were measured
 * here at about 1 µs per record on first touch). Puts nobody awaits are not held back.
 */
export const MAX_PENDING_BYTES = 2 * CHECKPOINT_BYTES;
/** The longest delay between tries of a checkpoint that keeps failing. */
const MAX_RETRY_MS = 30_000;

export class PersistentChannel<T> extends HostedChannel<T> {
  /** The window holds every item with ts >= floor. */
  private floor = 0;
  /**
   * Checkpoint mode: items put (and visible) but not yet durable — `pending` since the last
   * checkpoint began, `flushing` while a checkpoint makes its items durable. Encoded records
   * with time indexes: appends in O(1), lookups in O(log n), no object per item.
   */
  private pending = new PendingLog();
  private flushing: PendingLog | undefined;
  /** The log the last checkpoint emptied, for the next one to take: its time index keeps its room. */
  private idleLog: PendingLog | undefined;
  /** The newest timestamp ever put or stored here: a put after it cannot be a duplicate. */
  private newestSeen = -1;
  /** Sync mode: timestamps of puts being made durable, not yet visible. */
  private readonly inflight = new Set<number>();
  private persistHandlers: PersistHandler<T>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private checkpointing: Promise<void> | undefined;
  /** Set while checkpoints fail: the next try waits for its delay, not for the next put. */
  private retrying: Backoff | undefined;
  /** Puts held back while checkpoints fail wait for the next try (see nextCheckpointDone). */
  private nextTry: { done: Promise<void>; settle: () => void } | undefined;
  readonly mode: "sync" | "checkpoint";
  private readonly everyMs: number;
  private readonly history: History | undefined;

  constructor(
    name: string,
    codec: Codec<T>,
    retention: Retention,
    onDuplicate: DuplicatePolicy,
    reportError: ErrorReporter,
    readonly store: ChannelStore,
    private readonly journal: Journal,
    persist: PersistOptions,
  ) {
    super(name, codec, retention, onDuplicate, reportError);
    this.mode = persist.mode;
    this.everyMs = persist.everyMs ?? DEFAULT_CHECKPOINT_MS;
    this.history = persist.history;
    this.newestSeen = store.newestTs() ?? -1;
    this.refill();
  }

  /** Loads the newest stored items into the window, within its retention limits, with one range read. */
  private refill(): void {
    const newest = this.store.newestTs();
    if (newest === undefined) return;
    const byCount = this.store.nthNewestTs(Math.min(this.retention.count ?? Infinity, this.store.count)) ?? 0;
    const byAge = this.retention.ms !== undefined ? newest - Math.round(this.retention.ms * 1000) : 0;
    // Held as stored, decoded on the first read: a reopen need not decode a whole window, and
    // the stored bytes are the codec's encoding, so their length is the item's size.
    for (const s of this.store.range(Math.max(byCount, byAge, 0), newest)) this.index.insert(ReceivedItem.stored(s.ts, s.payload, this.codec), this.measure ? s.payload.byteLength : 0);
    const n = excess(this.index, this.retention);
    if (n > 0) this.index.evict(n, false);
    const oldestKept = this.index.oldest()?.ts;
    const oldestStored = this.store.oldestTs();
    this.floor = oldestKept !== undefined && oldestStored !== undefined && oldestStored < oldestKept ? oldestKept : 0;
  }

  /**
   * A remote put's bytes become its record as they came, and the window holds them undecoded
   * until a read (a host spent about a tenth of a durable round decoding each item and
   * encoding it again), unless a persist trigger must see the value.
   */
  override keepsReceived(): boolean {
    return this.persistHandlers.length === 0;
  }

  /** Stores an admitted item; `payload` is its record's payload when at hand, else it is encoded here. */
  protected override putAdmitted(item: Item<T>, size: number, payload: Uint8Array | undefined): Promise<void> {
    const ts = item.ts;
    if (this.mode === "checkpoint") {
      try {
        if (this.holds(ts) && this.duplicate(ts)) return RESOLVED;
        // Encoded now, while the value is at hand: the checkpoint only indexes and writes.
        this.pending.append(ts, payload ?? this.payloadOf(item));
      } catch (err) {
        return Promise.reject(err);
      }
      if (ts > this.newestSeen) this.newestSeen = ts;
      this.show(item, size);
      if (this.pending.bytes >= CHECKPOINT_BYTES && this.checkpointing === undefined && this.retrying === undefined) this.checkpointSoon();
      else this.timer ??= setTimeout(this.checkpointSoon, this.everyMs);
      return this.pending.bytes >= MAX_PENDING_BYTES ? this.nextCheckpointDone() : RESOLVED;
    }
    let staged: StagedPut | undefined;
    try {
      staged = this.stageAdmitted(item, size, payload);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!staged) return RESOLVED;
    const { write, done, failed } = staged;
    return this.journal.submit({ writes: [write], cursors: [] }).then(done, (err: unknown) => {
      failed();
      throw err;
    });
  }

  /**
   * Prepares a durable put: checks it, reserves its timestamp and encodes it. The caller submits
   * `write` to the journal, then calls `done` (the item becomes visible) or `failed`.
   * Returns undefined for a duplicate that onDuplicate "keep-first" drops.
   */
  stage(value: T, ts: number): StagedPut | undefined {
    return this.stageAdmitted({ ts, value }, this.admit(value, ts), undefined);
  }

  private stageAdmitted(item: Item<T>, size: number, payload: Uint8Array | undefined): StagedPut | undefined {
    const ts = item.ts;
    if (this.holds(ts) && this.duplicate(ts)) return undefined;
    const write = { store: this.store, chunks: [recordChunk(ts, payload ?? this.payloadOf(item))], history: this.history };
    this.inflight.add(ts);
    if (ts > this.newestSeen) this.newestSeen = ts;
    return {
      write,
      done: () => {
        this.inflight.delete(ts);
        if (!this.closed) this.show(item, size);
      },
      failed: () => this.inflight.delete(ts),
    };
  }

  /** For a timestamp already held: throws (reject) or returns true when the put is dropped (keep-first). */
  private duplicate(ts: number): boolean {
    if (this.onDuplicate === "reject") throw new DuplicateTimestampError(this.name, ts);
    return this.onDuplicate === "keep-first";
  }

  override commitCursor(consumer: string, after: number): Promise<void> {
    return this.journal.submit({ writes: [], cursors: [{ store: this.store, consumer, after }] });
  }

  private readonly checkpointSoon = (): void => {
    this.checkpoint().catch((err: unknown) => this.reportError(err, `checkpoint of channel ${JSON.stringify(this.name)}`));
  };

  /** Makes every checkpoint-mode put so far durable in one LRVM transaction. */
  async checkpoint(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.checkpointing) await this.checkpointing;
    if (this.mode !== "checkpoint" || this.pending.size === 0) return;
    const flushing = this.pending;
    this.flushing = flushing;
    this.pending = this.idleLog ?? new PendingLog();
    this.idleLog = undefined;
    const run = (async () => {
      try {
        await this.journal.submit({ writes: [{ store: this.store, chunks: flushing.chunks(), history: this.history }], cursors: [] });
        flushing.release();
        this.idleLog = flushing;
        this.retrying = undefined;
      } catch (err) {
        // Not durable: keep the items for the next checkpoint (newer puts of the same ts win).
        // The newer log is dropped, not released: the crc worker may still hold its buffers.
        flushing.absorb(this.pending);
        this.pending = flushing;
        // Retried after a growing delay: a lasting failure (a full disk) retried by every put
        // would rewrite the pending bytes and report an error at the put rate.
        this.retrying ??= new Backoff({ initialMs: this.everyMs, maxMs: MAX_RETRY_MS });
        if (this.timer !== undefined) clearTimeout(this.timer);
        if (!this.closed) this.timer = setTimeout(this.checkpointSoon, this.retrying.next());
        throw err;
      } finally {
        this.flushing = undefined;
      }
    })();
    this.checkpointing = run;
    try {
      await run;
    } finally {
      this.checkpointing = undefined;
      this.settleNextTry();
    }
  }

  /**
   * For backpressure: settles when the running checkpoint ends, or, while failed ones wait to
   * be retried, when the next try ends, so that a full disk holds producers back too.
   */
  private nextCheckpointDone(): Promise<void> {
    if (this.checkpointing) return this.checkpointing.then(noop, noop);
    if (this.retrying === undefined) return RESOLVED;
    if (!this.nextTry) {
      let settle = noop;
      const done = new Promise<void>((resolve) => (settle = resolve));
      this.nextTry = { done, settle };
    }
    return this.nextTry.done;
  }

  private settleNextTry(): void {
    const waiting = this.nextTry;
    this.nextTry = undefined;
    waiting?.settle();
  }

  /** A closed channel retries no checkpoint: nothing is left for held-back puts to wait for. */
  override close(): void {
    super.close();
    this.settleNextTry();
  }

  /** The bytes that store `item`: its value through the persist triggers, then the codec. */
  private payloadOf(item: Item<T>): Uint8Array {
    let value = item.value;
    for (const h of this.persistHandlers) {
      const pickled = h({ ts: item.ts, value });
      if (pickled !== undefined) value = pickled;
    }
    return this.codec.encode(value);
  }

  onPersist(handler: PersistHandler<T>): () => void {
    this.persistHandlers = [...this.persistHandlers, handler];
    return () => {
      this.persistHandlers = this.persistHandlers.filter((h) => h !== handler);
    };
  }

  /** Puts the item into the window when it belongs there; wakes and triggers as any put. */
  private show(item: Item<T>, size: number): void {
    if (item.ts >= this.floor && this.index.insert(item, size) !== undefined) this.index.replace(item, size);
    this.published(item);
  }

  private holds(ts: number): boolean {
    if (ts > this.newestSeen) return false; // the usual in-order put: nothing to look up
    if (ts >= this.floor && this.index.at(ts) !== undefined) return true;
    return this.pending.has(ts) || this.flushing?.has(ts) === true || this.inflight.has(ts) || this.store.has(ts);
  }

  protected override evict(n: number): void {
    super.evict(n);
    const next = this.index.oldest()?.ts;
    if (next !== undefined) this.floor = Math.max(this.floor, next);
  }

  override storedAt(ts: number): Item<T> | undefined {
    if (ts >= this.floor) return this.index.at(ts);
    const stored = this.pending.at(ts) ?? this.flushing?.at(ts) ?? this.store.at(ts);
    return stored && ReceivedItem.stored(stored.ts, stored.payload, this.codec);
  }

  override storedOldest(): Item<T> | undefined {
    if (this.floor === 0) return this.index.oldest();
    return this.storedFirstAfter(-1);
  }

  override storedNewest(): Item<T> | undefined {
    const newest = this.index.newest();
    if (newest !== undefined) return newest;
    const ts = this.store.newestTs();
    const stored = ts === undefined ? undefined : this.store.at(ts);
    return stored && ReceivedItem.stored(stored.ts, stored.payload, this.codec);
  }

  override storedFirstAfter(afterTs: number): Item<T> | undefined {
    if (afterTs + 1 >= this.floor) return this.index.firstAfter(afterTs);
    // At equal timestamps the newer copy wins: pending, then flushing, then the store.
    let best = this.pending.firstAfter(afterTs);
    const f = this.flushing?.firstAfter(afterTs);
    if (f && (!best || f.ts < best.ts)) best = f;
    const stored = this.store.firstAfter(afterTs);
    if (stored && (!best || stored.ts < best.ts)) best = stored;
    return best && ReceivedItem.stored(best.ts, best.payload, this.codec);
  }

  /**
   * Disk, flushing and pending items below the window, merged (a newer copy of a ts wins), then
   * the window's once everything below it is in. Each source reads at most `limit` items; the
   * page is complete up to the lowest point any of them reached.
   */
  override storedPage(lo: number, hi: number, limit: number): Page<Item<T>> {
    if (lo >= this.floor) return super.storedPage(lo, hi, limit);
    const top = Math.min(hi, this.floor - 1);
    // Each source reads no further than the one before it got: what lies past that waits for
    // the next page anyway.
    const disk = this.store.page(lo, top, limit);
    const flushing = this.flushing?.page(lo, disk.through, limit);
    const pending = this.pending.page(lo, flushing?.through ?? disk.through, limit);
    let through = pending.through;
    const extra = [...(flushing?.items ?? []), ...pending.items];
    let merged = extra.length === 0 ? disk.items : mergeUnique(disk.items, extra);
    if (through < top) merged = merged.filter((s) => s.ts <= through);
    if (merged.length >= limit) {
      merged = merged.slice(0, limit);
      through = merged[limit - 1].ts;
    }
    const items = merged.map((s): Item<T> => ReceivedItem.stored(s.ts, s.payload, this.codec));
    if (through < top || hi < this.floor || items.length === limit) return { items, through };
    const window = super.storedPage(this.floor, hi, limit - items.length);
    return { items: items.concat(window.items), through: window.through };
  }

  /** A named consumer starts at its durable cursor when it has one. */
  override consumer(name: string, from: Bound): Cursor {
    const existing = this.consumers.get(name);
    if (existing) return existing;
    const durable = this.store.cursors();
    const after = durable.get(name);
    if (after === undefined && durable.size >= MAX_CONSUMERS) throw new StoreFullError(this.name, "consumers", `at most ${MAX_CONSUMERS} named consumers per persistent channel`);
    const cursor = { after: after ?? this.startAfter(from) };
    this.consumers.set(name, cursor);
    return cursor;
  }

  override stats(): ChannelStats {
    return { ...super.stats(), oldest: this.storedOldest()?.ts, stored: { items: this.store.count, bytes: this.store.bytes, corrupt: this.store.corrupt, pending: this.pending.size + (this.flushing?.size ?? 0) + this.inflight.size } };
  }

  /** Checkpoints, waits for durable writes, then closes the store. */
  async shutdown(): Promise<void> {
    try {
      await this.checkpoint();
    } finally {
      // A failed last checkpoint leaves no retry behind to keep the process alive, nor puts
      // held back waiting for one (close() lets them go).
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.close();
    }
    await this.journal.settle();
    await this.store.close();
  }
}

/** a and b merged in time order; at equal timestamps b's item wins. */
function mergeUnique(a: StoredItem[], b: StoredItem[]): StoredItem[] {
  const byTs = new Map<number, StoredItem>();
  for (const i of a) byTs.set(i.ts, i);
  for (const i of b) byTs.set(i.ts, i);
  return [...byTs.values()].sort((x, y) => x.ts - y.ts);
}
