/**
 * RemoteChannel: the handle API (types.ts `Channel<T>`) on a channel hosted by another runtime,
 * over the transport. Same methods, same errors, same ordering as a local handle.
 *
 * Waits are long polls: the host holds a `next`/`take` request until an item comes or LONG_POLL_MS
 * pass, and the handle asks again until its own deadline. Puts are acknowledged (resolve when the
 * host has stored the item, durably on a "sync" channel) or, with `ack: false`, fire-and-forget.
 * Puts made together (before the event loop turns) travel together (protocol.ts, batching):
 * the acked puts of concurrent callers as one request, which the host stores in one turn, so
 * they share the journal's group commits, and each caller's promise settles with its own
 * item's outcome.
 *
 * Guarantees: a host that does not answer gives ChannelUnavailableError, and the same handle
 * works again once a host is back; an item larger than the server's max_payload is refused with
 * ItemTooLargeError before anything is sent, never truncated.
 */
import type { Observable } from "rxjs";
import { type Codec, InvalidOptionError, TransportError, type Transport, channelSubjects, type ChannelSubjects, decodeMessage, encodeMessage, isTimestamp, now, resolveCodec, timestampError } from "../../runtime/index.ts";
import { ChannelClosedError, ChannelNotFoundError, ChannelUnavailableError, WaitAbortedError, WaitTimeoutError } from "../errors.ts";
import { observeItems } from "../observe.ts";
import type { Bound, Channel, ChannelStats, GcHandler, Item, ItemsOptions, ObserveOptions, PersistHandler, PutHandler, TriggerEvent, WaitOptions } from "../types.ts";
import { type Encoded, type GetRequest, type InfoReply, type InfoRequest, type ItemsReply, type LiveHeader, type PutReply, FRAME_SLACK, frameEncoded, unframe, unframeItems } from "./protocol.ts";
import { Outbox } from "./outbox.ts";
import { PutFrame, checkFrameRoom } from "./putFrame.ts";
import { RemoteItems } from "./remoteItems.ts";
import { fromWire } from "./wireErrors.ts";

/** How long the host may hold one wait request. */
export const LONG_POLL_MS = 5_000;
/** Request timeout beyond the time a request may legitimately wait at the host. */
export const REQUEST_MARGIN_MS = 5_000;

export type RemoteOptions = {
  from?: Bound;
  consumer?: string;
  /** The codec, required when the host uses a custom one (json and binary are known by name). */
  codec?: Codec<unknown>;
  /** false: puts are published without waiting for the host (fire-and-forget). Default true. */
  ack?: boolean;
  /** How long lookup and plain requests wait for the host. Default 2000 ms. */
  timeoutMs?: number;
};

/** An acknowledged put waiting for its batch's reply. */
type AckedPut = Encoded & { resolve: () => void; reject: (err: unknown) => void };

/** What every accepted fire-and-forget put returns: no promise per put. */
const RESOLVED: Promise<void> = Promise.resolve();

export class RemoteChannel<T> implements Channel<T> {
  readonly subjects: ChannelSubjects;
  private after = -1;
  private cachedStats: ChannelStats;
  private readonly iterators = new Set<RemoteItems<T>>();
  /**
   * Puts leave in batches (outbox.ts, putFrame.ts): one socket write per put was measured at
   * about a quarter of raw publish speed, and one request per acked put costs the client, the
   * server and the host a message and a reply each. Fire-and-forget puts are encoded straight
   * into their frame and return one shared settled promise.
   */
  private readonly fired: PutFrame<T> | undefined;
  private readonly acked = new Outbox<AckedPut>((batch) => void this.requestBatch(batch), () => this.frameLimit());
  /** A fire-and-forget publish that failed: the next put reports it. */
  private publishError: unknown;

  private constructor(
    readonly name: string,
    readonly codec: Codec<T>,
    readonly transport: Transport,
    namespace: string,
    info: InfoReply,
    private readonly options: RemoteOptions,
  ) {
    this.subjects = channelSubjects(namespace, name);
    this.cachedStats = info.stats;
    this.fired = options.ack === false ? new PutFrame(name, codec, (frame) => this.publishFrame(frame), () => this.frameLimit()) : undefined;
  }

  /** Finds a channel hosted anywhere on the namespace; ChannelNotFoundError when nobody answers. */
  static async lookup<T>(transport: Transport, namespace: string, name: string, options: RemoteOptions): Promise<RemoteChannel<T>> {
    const subjects = channelSubjects(namespace, name);
    let info: InfoReply;
    try {
      info = decodeMessage<InfoReply>(await transport.request(subjects.info, encodeMessage({} satisfies InfoRequest), options.timeoutMs ?? 2000)).header;
    } catch (err) {
      if (err instanceof TransportError && (err.code === "PTS_NATS_NO_RESPONDERS" || err.code === "PTS_NATS_TIMEOUT")) throw new ChannelNotFoundError(name, `any runtime on NATS namespace "${namespace}"`);
      throw err;
    }
    const codec = (options.codec ?? resolveCodec(info.codec === "json" || info.codec === "binary" ? info.codec : undefined)) as Codec<T>;
    if (codec.name !== info.codec) throw new InvalidOptionError("codec", codec.name, `the host's codec "${info.codec}" (pass it as the lookup option codec)`);
    const ch = new RemoteChannel<T>(name, codec, transport, namespace, info, options);
    if (options.consumer === undefined) ch.after = await ch.startAfter(options.from ?? "newest");
    return ch;
  }

  put(value: T, ts?: number): Promise<void> {
    const at = ts === undefined ? now() : ts;
    try {
      if (!isTimestamp(at)) throw timestampError(at);
      this.codec.check?.(value);
      if (this.fired === undefined) return this.ackedPut(value, at);
      if (this.publishError !== undefined) {
        // Reported once: the next put tries again, as a put after any other failure does.
        const err = this.publishError;
        this.publishError = undefined;
        throw err;
      }
      this.fired.add(value, at);
    } catch (err) {
      return Promise.reject(err);
    }
    return RESOLVED;
  }

  private ackedPut(value: T, at: number): Promise<void> {
    const payload = this.codec.encode(value);
    checkFrameRoom(this.name, payload, this.frameLimit());
    return new Promise((resolve, reject) => this.acked.add({ ts: at, payload, resolve, reject }));
  }

  private publishFrame(frame: Uint8Array): void {
    try {
      this.transport.publish(this.subjects.put, frame);
    } catch (err) {
      this.publishError = err;
    }
  }

  /** One request for a batch of acked puts; each put settles with its own item's outcome. */
  private async requestBatch(batch: AckedPut[]): Promise<void> {
    let reply: PutReply;
    try {
      reply = decodeMessage<PutReply>(await this.call(this.subjects.put, frameEncoded({}, batch), this.timeout())).header;
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    const where = `the host of ${JSON.stringify(this.name)}`;
    if (reply.error) {
      const err = fromWire(reply.error, where);
      for (const p of batch) p.reject(err);
      return;
    }
    const failed = new Map(reply.failed ?? []);
    for (let k = 0; k < batch.length; k++) {
      const e = failed.get(k);
      if (e === undefined) batch[k].resolve();
      else batch[k].reject(fromWire(e, where));
    }
  }

  private frameLimit(): number {
    return this.transport.maxPayload - FRAME_SLACK;
  }

  get(): Promise<Item<T>>;
  get(ts: number): Promise<Item<T> | undefined>;
  get(which: "oldest" | "newest"): Promise<Item<T> | undefined>;
  get(lo: Bound, hi: Bound): Promise<Item<T>[]>;
  async get(a?: Bound, b?: Bound): Promise<Item<T> | Item<T>[] | undefined> {
    if (a === undefined) return this.take();
    checkBound(a);
    if (b !== undefined) {
      checkBound(b);
      return this.range(a, b);
    }
    return (await this.ask({ op: "at", at: a, read: true })).items[0];
  }

  async next(afterTs: number, options: WaitOptions = {}): Promise<Item<T>> {
    if (!isTimestamp(afterTs)) throw timestampError(afterTs);
    return this.wait((waitMs) => ({ op: "next", after: afterTs, waitMs }), options, afterTs);
  }

  items(options: ItemsOptions = {}): AsyncIterableIterator<Item<T>> {
    const it = new RemoteItems(this, options, () => this.iterators.delete(it));
    this.iterators.add(it);
    return it;
  }

  /** Ends this handle's iterators (the runtime is stopping). */
  close(): void {
    this.fired?.flush();
    for (const it of this.iterators) void it.return();
  }

  observe(options: ObserveOptions = {}): Observable<Item<T>> {
    return observeItems(() => this.items({ from: options.from ?? "newest", to: options.to, follow: true }));
  }

  on(event: "put", handler: PutHandler<T>): () => void;
  on(event: "gc", handler: GcHandler<T>): () => void;
  on(event: "persist", handler: PersistHandler<T>): () => void;
  on(event: TriggerEvent, handler: PutHandler<T> | GcHandler<T> | PersistHandler<T>): () => void {
    if (event !== "put") throw new InvalidOptionError("event", event, '"put" on a remote channel (gc and persist triggers run where the channel is hosted)');
    const sub = this.transport.subscribe(this.subjects.items, (msg) => {
      for (const i of unframe<LiveHeader>(msg.data).items) void (handler as PutHandler<T>)({ ts: i.ts, value: this.codec.decode(i.payload) });
    });
    return () => sub.unsubscribe();
  }

  async commit(ts?: number): Promise<void> {
    if (this.options.consumer === undefined) throw new InvalidOptionError("commit", "a handle without a consumer", "a handle from rt.lookup(name, { consumer })");
    const at = ts ?? this.after;
    await this.ask({ op: "commit", consumer: this.options.consumer, ts: at });
  }

  /** As of the lookup or the last refreshStats(). */
  stats(): ChannelStats {
    return this.cachedStats;
  }

  async refreshStats(): Promise<ChannelStats> {
    const reply = decodeMessage<InfoReply>(await this.call(this.subjects.info, encodeMessage({}), this.timeout())).header;
    this.cachedStats = reply.stats;
    return reply.stats;
  }

  /** Cursor position for a start bound, resolved at the host. */
  async startAfter(from: Bound): Promise<number> {
    if (from === "oldest") return -1;
    if (typeof from === "number") {
      if (!isTimestamp(from)) throw timestampError(from);
      return from - 1;
    }
    const newest = (await this.ask({ op: "at", at: from })).items[0];
    return newest === undefined ? -1 : newest.ts - 1;
  }

  async resolve(bound: Bound): Promise<number | undefined> {
    if (typeof bound === "number") return bound;
    return (await this.ask({ op: "at", at: bound })).items[0]?.ts;
  }

  /** Items with lo <= ts <= hi, fetched in pages that fit max_payload. */
  async range(lo: Bound, hi: Bound): Promise<Item<T>[]> {
    const out: Item<T>[] = [];
    for (let page = await this.page(lo, hi, true); ; page = await this.page(page.items.at(-1)!.ts + 1, hi)) {
      out.push(...page.items);
      if (!page.header.more || page.items.length === 0) return out;
    }
  }

  /** One page of a range; `read` marks the first page of a get(lo, hi), which the host counts. */
  page(lo: Bound, hi: Bound, read = false): Promise<{ header: ItemsReply; items: Item<T>[] }> {
    return this.ask({ op: "range", lo, hi, maxBytes: this.frameLimit(), read });
  }

  async firstAfter(after: number): Promise<Item<T> | undefined> {
    return (await this.ask({ op: "after", after })).items[0];
  }

  private async take(): Promise<Item<T>> {
    const consumer = this.options.consumer;
    if (consumer === undefined) {
      const item = await this.wait((waitMs) => ({ op: "next", after: this.after, waitMs }), {}, this.after);
      this.after = Math.max(this.after, item.ts);
      return item;
    }
    const item = await this.wait((waitMs) => ({ op: "take", consumer, from: this.options.from ?? "newest", waitMs }), {}, -1);
    this.after = item.ts;
    return item;
  }

  /** Repeats a long-poll request until an item comes, the deadline passes or the signal aborts. */
  private async wait(request: (waitMs: number) => GetRequest, options: WaitOptions, afterTs: number): Promise<Item<T>> {
    const deadline = options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs;
    // Only a wait's first long poll is a read the host counts: the others continue it.
    for (let read = true; ; read = false) {
      if (options.signal?.aborted) throw new WaitAbortedError(this.name, options.signal.reason);
      const waitMs = Math.max(0, Math.min(LONG_POLL_MS, deadline - performance.now()));
      const reply = await this.ask({ ...request(Math.round(waitMs)), read }, waitMs);
      if (options.signal?.aborted) throw new WaitAbortedError(this.name, options.signal.reason);
      if (reply.items.length > 0) return reply.items[0];
      if (performance.now() >= deadline) throw new WaitTimeoutError(this.name, afterTs, options.timeoutMs!);
    }
  }

  private async ask(req: GetRequest, waitMs = 0): Promise<{ header: ItemsReply; items: Item<T>[] }> {
    const bytes = await this.call(this.subjects.get, encodeMessage(req), this.timeout() + waitMs);
    const reply = unframeItems(bytes, (b) => this.codec.decode(b));
    if (reply.header.error) throw fromWire(reply.header.error, `the host of ${JSON.stringify(this.name)}`);
    return reply;
  }

  private async call(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      return await this.transport.request(subject, data, timeoutMs);
    } catch (err) {
      if (err instanceof TransportError && err.code === "PTS_NATS_NO_RESPONDERS") throw new ChannelUnavailableError(this.name, err);
      if (err instanceof TransportError && err.code === "PTS_NATS_CLOSED") throw new ChannelClosedError(this.name);
      throw err;
    }
  }

  private timeout(): number {
    return this.options.timeoutMs ?? REQUEST_MARGIN_MS;
  }
}

function checkBound(b: Bound): void {
  if (b !== "oldest" && b !== "newest" && !isTimestamp(b)) throw timestampError(b);
}
