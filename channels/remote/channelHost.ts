/**
 * ChannelHost: answers, over the transport, for the channels this runtime hosts: info (lookup),
 * get (reads and waits), put, and publishes the items put on the channel's items subject.
 *
 * No split brain: before serving a name the host probes for another host of it, and after
 * subscribing probes again; between two claims the older wins and the newer gets
 * ChannelHostedElsewhereError. A host always answers probes with its own claim.
 *
 * Puts come in batches (protocol.ts): the header is decoded once and the items are put in a
 * tight loop, so the items of one batch reach a sync channel's journal together and share
 * its group commits. A channel stores each item as its received bytes, decoded only when
 * read on the host (channels/receivedItem.ts), unless a persist trigger must see its value.
 * Remote reads are served from items as stored: a remotely put item goes out as the bytes it
 * came in, and serving a read decodes nothing. Items are published live in batches too, in put
 * order, each numbered; a remote put's payload is published as received, not encoded again,
 * and a put batch whose items all became visible at once, in order, is forwarded as its own
 * frame with host and seq added (no per-item work for the live message).
 *
 * Guarantees: every request gets exactly one reply (an error reply rather than silence), and
 * a put reply comes once every item of the request is stored (durably on a "sync" channel) or
 * refused, naming each refused item, and after the items it stored were published live (a
 * live subscriber on the putter's connection has them when the put resolves); waits are
 * bounded by the waitMs the client sent; a fire-and-forget put that fails is reported through
 * the runtime's onError.
 */
import { type Transport, type TransportMsg, type Subscription, channelSubjects, decodeMessage, encodeMessage, extendHeader, hostsSubject, now } from "../../runtime/index.ts";
import { ChannelHostedElsewhereError, WaitTimeoutError } from "../errors.ts";
import type { ErrorReporter, HostedChannel } from "../hostedChannel.ts";
import { PersistentChannel } from "../persistentChannel.ts";
import { isReceived } from "../receivedItem.ts";
import type { Bound, Item } from "../types.ts";
import { type Claim, type Encoded, type GetRequest, type InfoReply, type InfoRequest, type LiveHeader, type PutReply, type WireError, FRAME_SLACK, frameEncoded, unframePut } from "./protocol.ts";
import { Outbox } from "./outbox.ts";
import { toWire } from "./wireErrors.ts";

/** How long a newly hosting runtime listens for an older claim after subscribing. */
const CLAIM_WAIT_MS = 50;
/** Items a range page reads first, and at most, at a time (see rangePage). */
const RANGE_STEP = 16;
const MAX_RANGE_STEP = 4096;

/**
 * The next step of a range page: twice the last, but no more than the items that would still
 * fit (at the page's average item size so far, when it has items), plus the one that tells
 * whether more remain.
 */
function nextStep(last: number, room: number, averageSize: number | undefined): number {
  const fit = averageSize === undefined ? Infinity : Math.ceil(room / averageSize) + 1;
  return Math.max(1, Math.min(2 * last, MAX_RANGE_STEP, fit));
}

/** A remote put's value and the bytes it came as. */
type Received = { value: unknown; payload: Uint8Array };

type Served = {
  hosted: HostedChannel<unknown>;
  claim: Claim;
  subs: Subscription[];
  /** The number of the last item published (protocol.ts, sequence numbers). */
  seq: number;
  live: Outbox<Encoded & { seq: number }>;
  /**
   * The put message being stored, while it is: its items published so far, in order, with
   * their own bytes (`batchShown` of them, numbered from `batchSeq`) are held back, for the
   * message to be forwarded whole as the live one.
   */
  batch: Encoded[] | undefined;
  batchShown: number;
  batchSeq: number;
  /**
   * A channel that decodes remote puts (one with a persist trigger), the put being made now
   * (two fields, not an object per put): a put published at once finds its bytes here.
   */
  incomingValue: unknown;
  incomingPayload: Uint8Array | undefined;
  itemsSubject: string;
  /** Remote puts published later (after the journal, on a sync channel), by ts. */
  received: Map<number, Received>;
};

export class ChannelHost {
  private readonly served = new Map<string, Served>();
  private readonly hostsSub: Subscription;

  constructor(
    private readonly transport: Transport,
    private readonly namespace: string,
    readonly hostId: string,
    private readonly reportError: ErrorReporter,
  ) {
    this.hostsSub = transport.subscribe(hostsSubject(namespace), (msg) => {
      msg.respond(encodeMessage({ host: this.hostId, channels: [...this.served.values()].map((s) => s.hosted.stats()) }));
    });
  }

  /** Starts answering for a channel; ChannelHostedElsewhereError when an older host has it. */
  async serve(hosted: HostedChannel<unknown>): Promise<void> {
    const subjects = channelSubjects(this.namespace, hosted.name);
    const claim: Claim = { host: this.hostId, since: now() };
    await this.checkClaim(hosted.name, subjects.info, claim, false);
    const live = new Outbox<Encoded & { seq: number }>((batch) => this.publishLive(hosted.name, subjects.items, batch), () => this.transport.maxPayload - FRAME_SLACK);
    const served: Served = { hosted, claim, subs: [], seq: 0, live, batch: undefined, batchShown: 0, batchSeq: 0, incomingValue: undefined, incomingPayload: undefined, itemsSubject: subjects.items, received: new Map() };
    served.subs.push(
      this.transport.subscribe(subjects.info, (msg) => this.onInfo(served, msg.data, (d) => msg.respond(d))),
      this.transport.subscribe(subjects.get, (msg) => void this.onGet(served, msg.data).then((d) => msg.respond(d))),
      this.transport.subscribe(subjects.put, (msg) => this.onPut(served, msg)),
    );
    hosted.liveSink = (item) => this.onPublished(served, item);
    this.served.set(hosted.name, served);
    try {
      await this.transport.flush();
      await this.checkClaim(hosted.name, subjects.info, claim, true);
    } catch (err) {
      this.unserve(hosted.name);
      throw err;
    }
  }

  unserve(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    for (const sub of s.subs) sub.unsubscribe();
    s.hosted.liveSink = undefined;
    this.served.delete(name);
  }

  close(): void {
    for (const name of [...this.served.keys()]) this.unserve(name);
    this.hostsSub.unsubscribe();
  }

  /** Fails when another host answers with an older claim. */
  private async checkClaim(name: string, subject: string, claim: Claim, gather: boolean): Promise<void> {
    const probe = encodeMessage({ probe: claim } satisfies InfoRequest);
    const replies = gather ? await this.transport.requestMany(subject, probe, CLAIM_WAIT_MS) : await this.transport.request(subject, probe, 1000).then((r) => [r], () => []);
    for (const r of replies) {
      const other = decodeMessage<InfoReply>(r).header;
      if (other.host === this.hostId) continue;
      if (other.since < claim.since || (other.since === claim.since && other.host < claim.host)) {
        throw new ChannelHostedElsewhereError(name, other.host);
      }
    }
  }

  private onInfo(s: Served, data: Uint8Array, respond: (d: Uint8Array) => void): void {
    const req = decodeMessage<InfoRequest>(data).header;
    if (req.probe?.host === this.hostId) return; // our own probe: stay silent
    const reply: InfoReply = { host: this.hostId, since: s.claim.since, codec: s.hosted.codec.name, stats: s.hosted.stats(), persistent: s.hosted instanceof PersistentChannel };
    respond(encodeMessage(reply));
  }

  /**
   * One page of a range: the items from lo on that fit maxBytes. They are read a step at a time,
   * from RANGE_STEP items, doubling while the page has room, so that a page costs about its own
   * items however long the range is and however large its items (reading the whole range for
   * each page made paging through a long history quadratic).
   */
  private rangePage(s: Served, lo: Bound, hi: Bound, maxBytes: number): Uint8Array {
    const h = s.hosted;
    // A bound naming an item of an empty channel resolves to nothing: the range is empty.
    const first = h.resolve(lo) ?? Infinity;
    const last = h.resolve(hi) ?? -1;
    const page: Encoded[] = [];
    let bytes = 0;
    let more = false;
    for (let from = first, limit = RANGE_STEP; from <= last && !more; ) {
      const step = h.storedPage(from, last, limit);
      for (const item of step.items) {
        const payload = this.payloadOf(s, item);
        const size = payload.byteLength + 24;
        if (page.length > 0 && bytes + size > maxBytes) {
          more = true;
          break;
        }
        page.push({ ts: item.ts, payload });
        bytes += size;
      }
      from = step.through + 1;
      limit = nextStep(limit, maxBytes - bytes, page.length === 0 ? undefined : bytes / page.length);
    }
    return frameEncoded({ seq: s.seq, host: this.hostId, more }, page);
  }

  private async onGet(s: Served, data: Uint8Array): Promise<Uint8Array> {
    const h = s.hosted;
    try {
      const req = decodeMessage<GetRequest>(data).header;
      if (req.read) h.gets++;
      switch (req.op) {
        case "at":
          return this.single(s, typeof req.at === "number" ? h.storedAt(req.at) : req.at === "newest" ? h.storedNewest() : h.storedOldest());
        case "range":
          return this.rangePage(s, req.lo, req.hi, req.maxBytes);
        case "after":
          return this.single(s, h.storedFirstAfter(req.after));
        case "next":
          return await this.waiting(s, () => h.storedNextAfter(req.after, req.waitMs, undefined));
        case "take":
          return await this.waiting(s, () => h.storedTake(h.consumer(req.consumer, req.from), req.waitMs));
        case "commit":
          await h.commitCursor(req.consumer, req.ts);
          return encodeMessage({});
      }
    } catch (err) {
      return encodeMessage({ error: toWire(err) });
    }
  }

  /** A reply of at most one item. */
  private single(s: Served, item: Item<unknown> | undefined): Uint8Array {
    return frameEncoded({ seq: s.seq, host: this.hostId }, item ? [{ ts: item.ts, payload: this.payloadOf(s, item) }] : []);
  }

  private async waiting(s: Served, wait: () => Promise<Item<unknown>>): Promise<Uint8Array> {
    try {
      return this.single(s, await wait());
    } catch (err) {
      if (err instanceof WaitTimeoutError) return encodeMessage({ timeout: true });
      throw err;
    }
  }

  /** A put message: a batch of items, acknowledged (a request) or fire-and-forget (a publish). */
  private onPut(s: Served, msg: TransportMsg): void {
    const context = `fire-and-forget put to channel ${JSON.stringify(s.hosted.name)}`;
    let items: Encoded[];
    try {
      // Stored payloads are views into the message: a copy of it (one per message, not per
      // item) keeps them from holding the client library's read buffer, which may carry other
      // messages, alive as long as they are kept. The copy is its own allocation, not a slice
      // of Node's shared pool, which a long-kept item would pin with unrelated short-lived data.
      items = unframePut(s.hosted.keepsReceived() ? ownCopy(msg.data) : msg.data);
    } catch (err) {
      if (msg.expectsReply) msg.respond(encodeMessage({ error: toWire(err) } satisfies PutReply));
      else this.reportError(err, context);
      return;
    }
    const acked = msg.expectsReply;
    const puts = acked ? new Array<Promise<void>>(items.length) : undefined;
    const report = (err: unknown) => this.reportError(err, context);
    // A memory channel (and a checkpoint-mode one) settles every stored put with one shared
    // promise: a fire-and-forget batch attaches a handler per distinct promise, not a promise
    // and a job per item.
    let last: Promise<void> | undefined;
    s.batch = items;
    s.batchShown = 0;
    s.batchSeq = s.seq + 1;
    try {
      for (let k = 0; k < items.length; k++) {
        const p = this.store(s, items[k]);
        if (puts !== undefined) puts[k] = p;
        else if (p !== last) (last = p).catch(report);
      }
      // Every item visible at once, in order, with its own bytes: the live message is this
      // frame with host and seq added, after what was published before it.
      if (items.length > 0 && s.batchShown === items.length) {
        const frame = extendHeader(msg.data, { host: this.hostId, seq: s.batchSeq } satisfies Omit<LiveHeader, "items">);
        if (frame) {
          s.batch = undefined;
          s.live.flush();
          this.publishFrame(s.hosted.name, s.itemsSubject, frame);
        }
      }
    } finally {
      if (s.batch !== undefined) this.unbatch(s);
    }
    if (puts === undefined) return;
    void Promise.allSettled(puts).then((results) => {
      const failed: [number, WireError][] = [];
      for (let k = 0; k < results.length; k++) {
        const r = results[k];
        if (r.status === "rejected") failed.push([k, toWire(r.reason)]);
      }
      // The live items of a sync put become visible with the journal commit, just before this
      // reply: sent now, they share the reply's socket write (nats.js writes what was queued
      // before its flush job) instead of taking a second one after it.
      s.live.flush();
      msg.respond(encodeMessage((failed.length > 0 ? { failed } : {}) satisfies PutReply));
    });
  }

  private store(s: Served, { ts, payload }: Encoded): Promise<void> {
    if (s.hosted.keepsReceived()) return s.hosted.putReceived(ts, payload);
    let value: unknown;
    try {
      value = s.hosted.codec.decode(payload);
    } catch (err) {
      return Promise.reject(err);
    }
    s.incomingValue = value;
    s.incomingPayload = payload;
    const put = s.hosted.callerPut(value, ts);
    if (s.incomingPayload === undefined) return put; // published during the put, with these bytes
    s.incomingPayload = undefined;
    const received: Received = { value, payload };
    s.received.set(ts, received);
    return put.finally(() => {
      if (s.received.get(ts) === received) s.received.delete(ts);
    });
  }

  /** An item's bytes: those it came in when it came remotely, else its value encoded. */
  private payloadOf(s: Served, item: Item<unknown>): Uint8Array {
    return isReceived(item) ? item.payload : s.hosted.codec.encode(item.value);
  }

  /** An item stored in a served channel: numbered, and published live with the bytes it came in when it came remotely. */
  private onPublished(s: Served, item: Item<unknown>): void {
    const seq = ++s.seq;
    let payload: Uint8Array;
    if (isReceived(item)) payload = item.payload;
    else if (s.incomingPayload !== undefined && s.incomingValue === item.value) {
      payload = s.incomingPayload;
      s.incomingPayload = undefined;
    } else {
      const r = s.received.get(item.ts);
      payload = r !== undefined && r.value === item.value ? r.payload : s.hosted.codec.encode(item.value);
    }
    if (s.batch !== undefined) {
      if (s.batch[s.batchShown]?.payload === payload) {
        s.batchShown++;
        return;
      }
      this.unbatch(s);
    }
    s.live.add({ ts: item.ts, payload, seq });
  }

  /** The put message cannot be forwarded whole: its items held back go to the live outbox, in order. */
  private unbatch(s: Served): void {
    const batch = s.batch!;
    s.batch = undefined;
    for (let k = 0; k < s.batchShown; k++) s.live.add({ ts: batch[k].ts, payload: batch[k].payload, seq: s.batchSeq + k });
  }

  private publishLive(name: string, subject: string, batch: (Encoded & { seq: number })[]): void {
    this.publishFrame(name, subject, frameEncoded({ host: this.hostId, seq: batch[0].seq } satisfies Omit<LiveHeader, "items">, batch));
  }

  private publishFrame(name: string, subject: string, frame: Uint8Array): void {
    try {
      this.transport.publish(subject, frame);
    } catch (err) {
      this.reportError(err, `live items of channel ${JSON.stringify(name)}`);
    }
  }
}

/** A copy of bytes in a buffer of their own. */
function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
