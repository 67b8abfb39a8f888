/**
 * ItemsIterator: the async iterator behind items() and observe(): stored items from a bound,
 * then (with follow) live items as they are put, until an end bound.
 *
 * It walks one timestamp cursor through the channel, asking each time for the first item after
 * the last one it returned. History and live data are the same index, so there is no seam: no
 * gap and no duplicate where the stored items end and live ones begin. An out-of-order put
 * that lands behind the cursor is not returned (the iterator moves forward in time only).
 *
 * Guarantees: return() (a `break` in for-await, or an unsubscribe) ends a pending wait at
 * once; the iterator ends, without an error, when its signal aborts or the runtime stops.
 */
import { ChannelClosedError, WaitAbortedError } from "./errors.ts";
import type { Bound, Item, ItemsOptions } from "./types.ts";

/** What the iterator needs from a channel; local channels answer synchronously. */
export interface ItemSource<T> {
  readonly name: string;
  firstAfter(afterTs: number): Item<T> | undefined | Promise<Item<T> | undefined>;
  waitAfter(afterTs: number, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void>;
  startAfter(from: Bound): number | Promise<number>;
  resolve(bound: Bound): number | undefined | Promise<number | undefined>;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class ItemsIterator<T> implements AsyncIterableIterator<Item<T>> {
  private after: number | undefined;
  private end = Number.MAX_SAFE_INTEGER;
  private finished = false;
  private readonly abort = new AbortController();
  /** Mirrors abort.signal.aborted: reading the signal's getter on every item was measurably slower. */
  private aborted = false;
  private readonly unlink: (() => void) | undefined;

  constructor(
    private readonly source: ItemSource<T>,
    private readonly options: ItemsOptions,
  ) {
    const signal = options.signal;
    if (signal) {
      const onAbort = () => {
        this.aborted = true;
        this.abort.abort(signal.reason);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      this.unlink = () => signal.removeEventListener("abort", onAbort);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Item<T>>> {
    if (this.finished) return DONE;
    if (this.aborted) return this.finish();
    if (this.after === undefined) {
      this.after = await this.source.startAfter(this.options.from ?? "oldest");
      if (this.options.to !== undefined) this.end = (await this.source.resolve(this.options.to)) ?? -1;
    }
    for (;;) {
      // Local sources answer synchronously: awaiting a plain value costs a microtask per item.
      const found = this.source.firstAfter(this.after);
      const item = found instanceof Promise ? await found : found;
      if (this.finished) return DONE;
      if (item !== undefined) {
        if (item.ts > this.end) return this.finish();
        this.after = item.ts;
        return { done: false, value: item };
      }
      if (!this.options.follow || this.after >= this.end) return this.finish();
      try {
        await this.source.waitAfter(this.after, undefined, this.abort.signal);
      } catch (err) {
        if (err instanceof WaitAbortedError || err instanceof ChannelClosedError) return this.finish();
        throw err;
      }
    }
  }

  async return(): Promise<IteratorResult<Item<T>>> {
    this.aborted = true;
    this.abort.abort();
    return this.finish();
  }

  private finish(): IteratorReturnResult<undefined> {
    this.finished = true;
    this.unlink?.();
    return DONE;
  }
}
