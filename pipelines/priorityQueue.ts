/**
 * PriorityQueue: the bounded, deadline-aware, fair queue of the prioritize stage.
 *
 * - Each item has a priority (higher first) and a key (its source, e.g. the camera). Within a
 *   key, items leave by priority, then oldest first.
 * - Keys share the processing by weight (stride scheduling): a key of weight 2 is served twice
 *   as often as a key of weight 1 while both have items, and an idle key cannot hoard credit.
 * - A deadline `maxAgeMs`: an item older than that (sensor timestamp against the clock) is
 *   dropped, reason "stale", when it arrives or when its turn comes: it is never handed out late.
 * - Bounded: when full, the lowest-priority item (the oldest among equals, since it is the
 *   closest to going stale; the newcomer included) is shed, reason "shed".
 *
 * Time comes from the caller (`now`, µs), so tests run on a virtual clock. Every drop goes to
 * `onDrop` with its reason; nothing leaves silently.
 */
import type { Item } from "../channels/index.ts";

export type DropReason = "stale" | "shed";

export type QueueOptions<T> = {
  /** Items held at most. */
  capacity: number;
  /** Items older than this (by their sensor timestamp) are dropped, never processed. */
  maxAgeMs?: number;
  /** Higher is more urgent. Default: all equal. */
  priority?: (item: Item<T>) => number;
  /** The source an item comes from, for fairness. Default: one source. */
  key?: (item: Item<T>) => string;
  /** Share of processing per key (default 1 each). */
  weights?: Record<string, number>;
  onDrop?: (item: Item<T>, reason: DropReason, key: string) => void;
};

type Entry<T> = { item: Item<T>; priority: number };
type Lane<T> = { key: string; entries: Entry<T>[]; pass: number; stride: number };

export class PriorityQueue<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private count = 0;
  /** Virtual time of the stride scheduler: the pass of the lane served last. */
  private clock = 0;
  readonly drops: Record<DropReason, number> = { stale: 0, shed: 0 };

  constructor(private readonly options: QueueOptions<T>) {
    if (!(options.capacity >= 1)) throw new RangeError(`queue capacity must be at least 1, got ${options.capacity}`);
  }

  get size(): number {
    return this.count;
  }

  /** Admits an item, shedding the lowest-priority one when full. */
  offer(item: Item<T>, now: number): void {
    const key = this.options.key?.(item) ?? "";
    if (this.isStale(item, now)) return this.drop(item, "stale", key);
    const entry: Entry<T> = { item, priority: this.options.priority?.(item) ?? 0 };
    if (this.count >= this.options.capacity) {
      const victim = this.lowest();
      if (!victim || worse(entry, victim.entry)) return this.drop(item, "shed", key);
      victim.lane.entries.splice(victim.lane.entries.indexOf(victim.entry), 1);
      this.count--;
      this.drop(victim.entry.item, "shed", victim.lane.key);
    }
    const lane = this.lane(key);
    if (lane.entries.length === 0) lane.pass = Math.max(lane.pass, this.clock);
    insertSorted(lane.entries, entry);
    this.count++;
  }

  /** The next item to process, or undefined when none is due; stale ones are dropped on the way. */
  poll(now: number): Item<T> | undefined {
    for (;;) {
      let next: Lane<T> | undefined;
      for (const lane of this.lanes.values()) {
        if (lane.entries.length > 0 && (!next || lane.pass < next.pass)) next = lane;
      }
      if (!next) return undefined;
      const entry = next.entries.shift()!;
      this.count--;
      this.clock = next.pass;
      next.pass += next.stride;
      if (this.isStale(entry.item, now)) {
        this.drop(entry.item, "stale", next.key);
        continue;
      }
      return entry.item;
    }
  }

  /** Drops every item that is stale at `now` (e.g. on a timer while nothing is polled). */
  expire(now: number): void {
    for (const lane of this.lanes.values()) {
      const keep = lane.entries.filter((e) => !this.isStale(e.item, now));
      if (keep.length === lane.entries.length) continue;
      for (const e of lane.entries) if (!keep.includes(e)) this.drop(e.item, "stale", lane.key);
      this.count -= lane.entries.length - keep.length;
      lane.entries = keep;
    }
  }

  private isStale(item: Item<T>, now: number): boolean {
    return this.options.maxAgeMs !== undefined && now - item.ts > this.options.maxAgeMs * 1000;
  }

  private drop(item: Item<T>, reason: DropReason, key: string): void {
    this.drops[reason]++;
    this.options.onDrop?.(item, reason, key);
  }

  private lane(key: string): Lane<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      const weight = this.options.weights?.[key] ?? 1;
      if (!(weight > 0)) throw new RangeError(`weight of source "${key}" must be positive, got ${weight}`);
      lane = { key, entries: [], pass: this.clock, stride: 1 / weight };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** The entry to shed: lowest priority, oldest among equals (a scan: capacities are small). */
  private lowest(): { lane: Lane<T>; entry: Entry<T> } | undefined {
    let found: { lane: Lane<T>; entry: Entry<T> } | undefined;
    for (const lane of this.lanes.values()) {
      for (const e of lane.entries) if (!found || worse(e, found.entry)) found = { lane, entry: e };
    }
    return found;
  }
}

/** Whether a should be shed before b. */
function worse<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.item.ts < b.item.ts);
}

/** Order within a lane: higher priority first, then oldest first. */
function compare<T>(a: Entry<T>, b: Entry<T>): number {
  return b.priority - a.priority || a.item.ts - b.item.ts;
}

function insertSorted<T>(entries: Entry<T>[], e: Entry<T>): void {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(entries[mid], e) <= 0) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, e);
}
