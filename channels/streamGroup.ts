/**
 * StreamGroup: one anchor channel plus dependent channels, aligned in time.
 *
 * For each anchor item at ts, each dependent contributes its item nearest to ts within
 * ±tolerance (the earlier one on a tie), or "missing". A miss is never dropped silently: it is
 * counted in `missing[dependent]` and handed to `onMissing`.
 *
 * get(ts) aligns the anchor item exactly at ts. items() aligns anchor items as they come;
 * with follow, it waits (up to maxWaitMs, default the tolerance + 50 ms) for each dependent to
 * move past ts + tolerance, so a dependent item that arrives a little after the anchor still
 * joins its tuple.
 *
 * @example
 *   const g = await rt.group({ anchor: video, dependents: { gps, imu }, toleranceMs: 20 });
 *   for await (const t of g.items({ follow: true })) use(t.anchor.value, t.dependents.gps);
 */
import { InvalidOptionError } from "../runtime/index.ts";
import { ChannelClosedError, WaitAbortedError, WaitTimeoutError } from "./errors.ts";
import type { Channel, Item, ItemsOptions } from "./types.ts";

export type MissingHandler<A> = (dependent: string, anchor: Item<A>) => void;

export type GroupOptions<A, D extends Record<string, unknown>> = {
  anchor: Channel<A>;
  dependents: { [K in keyof D]: Channel<D[K]> };
  toleranceMs: number;
  maxWaitMs?: number;
  onMissing?: MissingHandler<A>;
};

export type Aligned<A, D extends Record<string, unknown>> = {
  ts: number;
  anchor: Item<A>;
  dependents: { [K in keyof D]: Item<D[K]> | "missing" };
};

export class StreamGroup<A, D extends Record<string, unknown>> {
  /** Misses so far, by dependent name. */
  readonly missing: Record<string, number> = {};
  readonly toleranceUs: number;
  private readonly maxWaitMs: number;
  private readonly names: (keyof D & string)[];

  constructor(private readonly options: GroupOptions<A, D>) {
    const { toleranceMs, maxWaitMs } = options;
    if (typeof toleranceMs !== "number" || !(toleranceMs >= 0) || !Number.isFinite(toleranceMs)) {
      throw new InvalidOptionError("toleranceMs", toleranceMs, "a non-negative number of milliseconds");
    }
    if (maxWaitMs !== undefined && (typeof maxWaitMs !== "number" || !(maxWaitMs >= 0))) {
      throw new InvalidOptionError("maxWaitMs", maxWaitMs, "a non-negative number of milliseconds");
    }
    this.toleranceUs = Math.round(toleranceMs * 1000);
    this.maxWaitMs = maxWaitMs ?? toleranceMs + 50;
    this.names = Object.keys(options.dependents) as (keyof D & string)[];
    for (const name of this.names) this.missing[name] = 0;
  }

  /** The aligned tuple for the anchor item exactly at ts, or undefined when the anchor has none. */
  async get(ts: number): Promise<Aligned<A, D> | undefined> {
    const anchor = await this.options.anchor.get(ts);
    return anchor === undefined ? undefined : this.align(anchor, false, undefined);
  }

  /** Aligned tuples for anchor items, in time order; with follow, live ones as they come. */
  async *items(options: ItemsOptions = {}): AsyncGenerator<Aligned<A, D>, void, undefined> {
    for await (const anchor of this.options.anchor.items(options)) {
      yield await this.align(anchor, options.follow === true, options.signal);
    }
  }

  private async align(anchor: Item<A>, wait: boolean, signal: AbortSignal | undefined): Promise<Aligned<A, D>> {
    const lo = Math.max(0, anchor.ts - this.toleranceUs);
    const hi = anchor.ts + this.toleranceUs;
    const found = await Promise.all(
      this.names.map(async (name) => {
        const dep = this.options.dependents[name];
        if (wait) await this.settled(dep, hi, signal);
        return nearest(await dep.get(lo, hi), anchor.ts);
      }),
    );
    const dependents = {} as { [K in keyof D]: Item<D[K]> | "missing" };
    this.names.forEach((name, i) => {
      const item = found[i];
      if (item === undefined) {
        this.missing[name]++;
        this.options.onMissing?.(name, anchor);
      }
      dependents[name] = (item ?? "missing") as Item<D[typeof name]> | "missing";
    });
    return { ts: anchor.ts, anchor, dependents };
  }

  /** Waits until the dependent holds an item past hi, or maxWaitMs passes. */
  private async settled(dep: Channel<unknown>, hi: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await dep.next(hi, { timeoutMs: this.maxWaitMs, signal });
    } catch (err) {
      // A timeout, an abort or a stop all mean: align with what is there now.
      if (!(err instanceof WaitTimeoutError || err instanceof WaitAbortedError || err instanceof ChannelClosedError)) throw err;
    }
  }
}

function nearest<T>(items: Item<T>[], ts: number): Item<T> | undefined {
  let best: Item<T> | undefined;
  let bestDistance = Infinity;
  for (const item of items) {
    const d = Math.abs(item.ts - ts);
    if (d < bestDistance) {
      best = item;
      bestDistance = d;
    }
  }
  return best;
}
