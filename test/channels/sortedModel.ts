/**
 * SortedModel: the reference a channel is checked against in model_test.ts — a plain array of
 * items sorted by timestamp, written for obviousness, not speed (every operation is a scan).
 *
 * It states the channel semantics of DESIGN.md and channels/types.ts independently of
 * channels/timeIndex.ts and channels/retention.ts:
 * - a put stores its item in time order; at a timestamp that already holds an item it is
 *   refused ("reject"), ignored ("keep-first") or swaps the value ("replace");
 * - an item larger than retain.bytes is refused and changes nothing;
 * - after each stored put, the oldest item leaves while any limit is exceeded: more than
 *   `count` items, more than `bytes` encoded bytes, or an item older than the newest item's
 *   ts minus `ms` milliseconds (data time, in µs);
 * - "oldest"/"newest" bounds name the oldest/newest item at the time they are resolved.
 *
 * @example
 *   const m = new SortedModel<string>({ count: 3 }, "reject");
 *   m.put(5, "a", 3); // { kind: "stored", evicted: [] }
 *   m.range("oldest", "newest"); // [{ ts: 5, value: "a" }]
 */
import type { Bound, DuplicatePolicy, Item, RetainOptions } from "../../channels/index.ts";

export type PutOutcome<T> =
  | { kind: "stored"; evicted: Item<T>[] }
  | { kind: "duplicate" }
  | { kind: "kept-first" }
  | { kind: "too-large" };

type Entry<T> = { item: Item<T>; size: number };

export class SortedModel<T> {
  private entries: Entry<T>[] = [];
  puts = 0;
  evicted = 0;

  constructor(
    readonly retain: RetainOptions,
    readonly onDuplicate: DuplicatePolicy,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    let sum = 0;
    for (const e of this.entries) sum += e.size;
    return sum;
  }

  /** `size` is the item's encoded size in bytes (only used when retain.bytes is set). */
  put(ts: number, value: T, size: number): PutOutcome<T> {
    if (this.retain.bytes !== undefined && size > this.retain.bytes) return { kind: "too-large" };
    const item: Item<T> = { ts, value };
    const same = this.entries.findIndex((e) => e.item.ts === ts);
    if (same >= 0) {
      if (this.onDuplicate === "reject") return { kind: "duplicate" };
      if (this.onDuplicate === "keep-first") return { kind: "kept-first" };
      this.entries[same] = { item, size };
    } else {
      const at = this.entries.findIndex((e) => e.item.ts > ts);
      this.entries.splice(at < 0 ? this.entries.length : at, 0, { item, size });
    }
    this.puts++;
    const evicted: Item<T>[] = [];
    while (this.entries.length > 0 && this.overLimit()) evicted.push(this.entries.shift()!.item);
    this.evicted += evicted.length;
    return { kind: "stored", evicted };
  }

  private overLimit(): boolean {
    const { count, ms, bytes } = this.retain;
    if (count !== undefined && this.entries.length > count) return true;
    if (bytes !== undefined && this.bytes > bytes) return true;
    if (ms !== undefined) {
      const newest = this.entries[this.entries.length - 1].item.ts;
      if (this.entries[0].item.ts < newest - Math.round(ms * 1000)) return true;
    }
    return false;
  }

  all(): Item<T>[] {
    return this.entries.map((e) => e.item);
  }

  at(ts: number): Item<T> | undefined {
    return this.entries.find((e) => e.item.ts === ts)?.item;
  }

  oldest(): Item<T> | undefined {
    return this.entries[0]?.item;
  }

  newest(): Item<T> | undefined {
    return this.entries[this.entries.length - 1]?.item;
  }

  /** The timestamp a bound names now; undefined for "oldest"/"newest" of an empty model. */
  resolve(bound: Bound): number | undefined {
    if (bound === "oldest") return this.oldest()?.ts;
    if (bound === "newest") return this.newest()?.ts;
    return bound;
  }

  /** Items with lo <= ts <= hi. */
  range(lo: Bound, hi: Bound): Item<T>[] {
    const a = this.resolve(lo);
    const b = this.resolve(hi);
    if (a === undefined || b === undefined) return [];
    return this.all().filter((i) => i.ts >= a && i.ts <= b);
  }

  firstAfter(afterTs: number): Item<T> | undefined {
    return this.entries.find((e) => e.item.ts > afterTs)?.item;
  }

  /**
   * A cursor position ("the ts of the last item taken") for a reader that starts at `from`: the
   * first item it takes is the one at `from` (or the first after it). A reader that starts at
   * "newest" of an empty channel takes the first item put.
   */
  startAfter(from: Bound): number {
    const ts = this.resolve(from);
    return from === "oldest" || ts === undefined ? -1 : ts - 1;
  }
}
