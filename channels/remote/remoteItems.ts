/**
 * RemoteItems: items() of a remote channel — stored items fetched in pages, then live items
 * from the channel's items subject, with no gap and no duplicate at the seam.
 *
 * The subscription opens before the history is fetched, so nothing put meanwhile is missed;
 * live items at or before the last item returned are skipped. Each live message carries the
 * host's id and the sequence number of its first item (protocol.ts): items numbered at or
 * before the history's number are skipped, and a message from another host (a restart) or one
 * that starts past the next number (a message lost during a NATS reconnect) makes the iterator
 * fetch what it missed from the host before it goes on. So live iteration resumes after
 * outages without duplicates or holes.
 *
 * Guarantees: return(), the signal, or the runtime stopping end it without an error.
 */
import { Backoff, type Subscription, TransportError, sleep } from "../../runtime/index.ts";
import { ChannelClosedError, ChannelUnavailableError } from "../errors.ts";
import type { Item, ItemsOptions } from "../types.ts";
import { type Encoded, type LiveHeader, unframe } from "./protocol.ts";
import type { RemoteChannel } from "./remoteChannel.ts";

type Live = { header: LiveHeader; items: Encoded[] };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class RemoteItems<T> implements AsyncIterableIterator<Item<T>> {
  private after: number | undefined;
  private end = Number.MAX_SAFE_INTEGER;
  private ready: Item<T>[] = [];
  private live: Live[] = [];
  private caughtUp = false;
  private host = "";
  private seq = 0;
  private sub: Subscription | undefined;
  private wake: (() => void) | undefined;
  private finished = false;
  private readonly onAbort = () => void this.return();
  private readonly backoff = new Backoff({ initialMs: 50, maxMs: 2000 });

  constructor(
    private readonly ch: RemoteChannel<T>,
    private readonly options: ItemsOptions,
    private readonly onFinish: () => void,
  ) {
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Item<T>>> {
    if (this.finished || this.options.signal?.aborted) return this.finish();
    if (this.after === undefined) await this.start();
    for (;;) {
      if (this.finished) return DONE;
      const item = this.ready.shift();
      if (item) {
        if (item.ts <= this.after!) continue;
        if (item.ts > this.end) return this.finish();
        this.after = item.ts;
        return { done: false, value: item };
      }
      if (!this.caughtUp) {
        await this.fetchHistoryOrWait();
        continue;
      }
      if (!this.options.follow || this.after! >= this.end) return this.finish();
      const msg = this.live.shift();
      if (!msg) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.accept(msg);
    }
  }

  async return(): Promise<IteratorResult<Item<T>>> {
    this.finish();
    this.wake?.();
    return DONE;
  }

  private async start(): Promise<void> {
    if (this.options.follow) {
      this.sub = this.ch.transport.subscribe(this.ch.subjects.items, (msg) => {
        this.live.push(unframe<LiveHeader>(msg.data));
        this.wake?.();
      });
    }
    this.after = await this.ch.startAfter(this.options.from ?? "oldest");
    if (this.options.to !== undefined) this.end = (await this.ch.resolve(this.options.to)) ?? -1;
  }

  /**
   * A following iterator rides out outages: while the host or NATS does not answer, it waits
   * (backing off) and asks again; it ends only on return(), its signal, or a runtime stop.
   */
  private async fetchHistoryOrWait(): Promise<void> {
    try {
      await this.fetchHistory();
      this.backoff.reset();
    } catch (err) {
      if (err instanceof ChannelClosedError) {
        this.finish();
        return;
      }
      const transient = err instanceof ChannelUnavailableError || (err instanceof TransportError && err.code !== "PTS_NATS_CLOSED");
      if (!this.options.follow || !transient) throw err;
      await sleep(this.backoff.next(), this.options.signal).catch(() => undefined);
    }
  }

  /** One page of stored items after the last one returned; caught up when none remain. */
  private async fetchHistory(): Promise<void> {
    const last = Math.max(this.after!, this.ready.at(-1)?.ts ?? -1);
    const page = await this.ch.page(last + 1, this.end);
    this.ready.push(...page.items);
    if (!page.header.more || page.items.length === 0) {
      this.caughtUp = true;
      this.host = page.header.host ?? "";
      this.seq = page.header.seq ?? 0;
    }
  }

  /** A live message: its items after the host's last number seen are delivered, unless items were missed. */
  private accept({ header, items }: Live): void {
    const last = header.seq + items.length - 1;
    if (header.host === this.host && last <= this.seq) return; // covered by the history fetched
    if (header.host !== this.host || header.seq > this.seq + 1) {
      this.caughtUp = false; // a restart or a gap: fetch what was missed
      return;
    }
    for (let k = this.seq + 1 - header.seq; k < items.length; k++) this.ready.push({ ts: items[k].ts, value: this.ch.codec.decode(items[k].payload) });
    this.seq = last;
  }

  private finish(): IteratorReturnResult<undefined> {
    this.finished = true;
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.onFinish();
    return DONE;
  }
}
