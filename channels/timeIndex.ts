/**
 * TimeIndex: the items of a live window, kept sorted by timestamp, with O(log n) lookup,
 * O(1) amortized append and O(1) amortized eviction of the oldest items.
 *
 * Layout: parallel arrays of timestamps and items with a moving head. Timestamps live in their
 * own number[] because a binary search over packed doubles is measurably faster than one that
 * dereferences item objects. Evicting advances `head`; the dead prefix is cut off once it is at
 * least half the arrays, so each slot is copied O(1) times on average. An out-of-order put is
 * a splice at its place: cheap when, as usual, it lands near the end.
 *
 * Invariant: ts[head..] is strictly increasing (timestamps are unique within a channel).
 */
import { lowerBound } from "./lowerBound.ts";
import type { Item } from "./types.ts";

const COMPACT_MIN = 1024;

export class TimeIndex<T> {
  private ts: number[] = [];
  private entries: Item<T>[] = [];
  /** Encoded sizes, parallel to entries; kept only when the channel limits bytes. */
  private sizes: number[] | null;
  private head = 0;
  bytes = 0;

  constructor(trackBytes: boolean) {
    this.sizes = trackBytes ? [] : null;
  }

  get size(): number {
    return this.ts.length - this.head;
  }

  get tracksBytes(): boolean {
    return this.sizes !== null;
  }

  oldest(): Item<T> | undefined {
    return this.head < this.entries.length ? this.entries[this.head] : undefined;
  }

  newest(): Item<T> | undefined {
    return this.head < this.entries.length ? this.entries[this.entries.length - 1] : undefined;
  }

  newestTs(): number {
    return this.head < this.ts.length ? this.ts[this.ts.length - 1] : -1;
  }

  /** First position whose ts >= x (may be the end). */
  lowerBound(x: number): number {
    return lowerBound(this.ts, x, this.head);
  }

  /** How many items have ts < x. */
  countBefore(x: number): number {
    return this.lowerBound(x) - this.head;
  }

  /** The item exactly at ts. */
  at(ts: number): Item<T> | undefined {
    const i = this.lowerBound(ts);
    return i < this.ts.length && this.ts[i] === ts ? this.entries[i] : undefined;
  }

  /** The first item with ts > after. */
  firstAfter(after: number): Item<T> | undefined {
    const ts = this.ts;
    const last = ts.length - 1;
    // Live consumers almost always ask for the item after the one before the newest.
    if (last >= this.head && ts[last] > after && (last === this.head || ts[last - 1] <= after)) return this.entries[last];
    const i = this.lowerBound(after + 1);
    return i < ts.length ? this.entries[i] : undefined;
  }

  /** Items with lo <= ts <= hi, in order: the first `limit` of them. */
  range(lo: number, hi: number, limit = Infinity): Item<T>[] {
    if (hi < lo) return [];
    const start = this.lowerBound(lo);
    const end = Math.min(this.lowerBound(hi + 1), start + limit);
    return this.entries.slice(start, end);
  }

  /**
   * Inserts an item. If an item already holds that ts, nothing changes and the existing item is
   * returned; otherwise returns undefined.
   */
  insert(item: Item<T>, size: number): Item<T> | undefined {
    const ts = this.ts;
    const n = ts.length;
    if (n === this.head || item.ts > ts[n - 1]) {
      ts.push(item.ts);
      this.entries.push(item);
      this.sizes?.push(size);
    } else {
      const i = this.lowerBound(item.ts);
      if (ts[i] === item.ts) return this.entries[i];
      ts.splice(i, 0, item.ts);
      this.entries.splice(i, 0, item);
      this.sizes?.splice(i, 0, size);
    }
    this.bytes += size;
    return undefined;
  }

  /** Replaces the item at an existing ts. */
  replace(item: Item<T>, size: number): void {
    const i = this.lowerBound(item.ts);
    this.entries[i] = item;
    if (this.sizes) {
      this.bytes += size - this.sizes[i];
      this.sizes[i] = size;
    }
  }

  /** How many of the oldest items must go for the rest to fit in `limit` bytes. */
  countOldestOver(limit: number): number {
    const sizes = this.sizes;
    if (!sizes) return 0;
    let bytes = this.bytes;
    let i = this.head;
    while (bytes > limit && i < sizes.length) bytes -= sizes[i++];
    return i - this.head;
  }

  oldestTs(): number {
    return this.ts[this.head];
  }

  /** Removes the n oldest items; returns them when `collect` is set (for gc triggers). */
  evict(n: number, collect: boolean): Item<T>[] | undefined {
    const start = this.head;
    const end = Math.min(start + n, this.ts.length);
    const evicted = collect ? this.entries.slice(start, end) : undefined;
    if (this.sizes) for (let i = start; i < end; i++) this.bytes -= this.sizes[i];
    for (let i = start; i < end; i++) (this.entries as (Item<T> | undefined)[])[i] = undefined;
    this.head = end;
    if (this.head >= COMPACT_MIN && this.head * 2 >= this.ts.length) this.compact();
    return evicted;
  }

  private compact(): void {
    const h = this.head;
    this.ts = this.ts.slice(h);
    this.entries = this.entries.slice(h);
    if (this.sizes) this.sizes = this.sizes.slice(h);
    this.head = 0;
  }
}
