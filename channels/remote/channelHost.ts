/**
 * ChannelHost: answers, over the transport, for the channels this runtime hosts: info (lookup),
 * get (reads and waits), put, and publishes each put on the channel's items subject.
 *
 * No split brain: before serving a name the host probes for another host of it, and after
 * subscribing probes again; between two claims the older wins and the newer gets
 * ChannelHostedElsewhereError. A host always answers probes with its own claim.
 *
 * Guarantees: every request gets exactly one reply (an error reply rather than silence); waits
 * are bounded by the waitMs the client sent; a fire-and-forget put that fails is reported
 * through the runtime's onError.
 */
import { type Transport, type Subscription, channelSubjects, decodeMessage, encodeMessage, hostsSubject, now, splitBody } from "../../runtime/index.ts";
import { ChannelHostedElsewhereError, WaitTimeoutError } from "../errors.ts";
import type { ErrorReporter, HostedChannel } from "../hostedChannel.ts";
import { PersistentChannel } from "../persistentChannel.ts";
import type { Item } from "../types.ts";
import { type Claim, type GetRequest, type InfoReply, type InfoRequest, type PutHeader, frameItems } from "./protocol.ts";
import { toWire } from "./wireErrors.ts";

/** How long a newly hosting runtime listens for an older claim after subscribing. */
const CLAIM_WAIT_MS = 50;

type Served = {
  hosted: HostedChannel<unknown>;
  claim: Claim;
  subs: Subscription[];
  offPut: () => void;
  seq: number;
  /** Payloads of remote puts in progress, by ts: published on `items` as received, not encoded again. */
  received: Map<number, Uint8Array>;
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
    const served: Served = { hosted, claim, subs: [], offPut: () => undefined, seq: 0, received: new Map() };
    served.subs.push(
      this.transport.subscribe(subjects.info, (msg) => this.onInfo(served, msg.data, (d) => msg.respond(d))),
      this.transport.subscribe(subjects.get, (msg) => void this.onGet(served, msg.data).then((d) => msg.respond(d))),
      this.transport.subscribe(subjects.put, (msg) => void this.onPut(served, msg.data, msg.expectsReply).then((d) => d && msg.respond(d))),
    );
    served.offPut = hosted.onPut((item: Item<unknown>) => {
      served.seq++;
      const payload = served.received.get(item.ts) ?? hosted.codec.encode(item.value);
      served.received.delete(item.ts);
      this.transport.publish(subjects.items, encodeMessage({ ts: item.ts, seq: served.seq, host: this.hostId }, [payload]));
    });
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
    s.offPut();
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

  private async onGet(s: Served, data: Uint8Array): Promise<Uint8Array> {
    const h = s.hosted;
    const encode = (v: unknown) => h.codec.encode(v);
    try {
      const req = decodeMessage<GetRequest>(data).header;
      switch (req.op) {
        case "at": {
          const item = typeof req.at === "number" ? h.at(req.at) : req.at === "newest" ? h.newestItem() : h.oldestItem();
          return frameItems({ seq: s.seq, host: this.hostId }, item ? [item] : [], encode);
        }
        case "range": {
          const all = h.range(req.lo, req.hi);
          const page: Item<unknown>[] = [];
          let bytes = 0;
          for (const item of all) {
            const size = h.codec.encode(item.value).byteLength + 24;
            if (page.length > 0 && bytes + size > req.maxBytes) break;
            page.push(item);
            bytes += size;
          }
          return frameItems({ seq: s.seq, host: this.hostId, more: page.length < all.length }, page, encode);
        }
        case "after": {
          const item = h.firstAfter(req.after);
          return frameItems({ seq: s.seq, host: this.hostId }, item ? [item] : [], encode);
        }
        case "next":
          return await this.waiting(s, () => h.nextAfter(req.after, req.waitMs, undefined));
        case "take":
          return await this.waiting(s, () => h.take(h.consumer(req.consumer, req.from), req.waitMs));
        case "commit":
          await h.commitCursor(req.consumer, req.ts);
          return encodeMessage({});
      }
    } catch (err) {
      return encodeMessage({ error: toWire(err) });
    }
  }

  private async waiting(s: Served, wait: () => Promise<Item<unknown>>): Promise<Uint8Array> {
    try {
      const item = await wait();
      return frameItems({ seq: s.seq, host: this.hostId }, [item], (v) => s.hosted.codec.encode(v));
    } catch (err) {
      if (err instanceof WaitTimeoutError) return encodeMessage({ timeout: true });
      throw err;
    }
  }

  /** A put message: one item ({ ts } and its payload), or a batch of fire-and-forget items ({ items }). */
  private async onPut(s: Served, data: Uint8Array, ack: boolean): Promise<Uint8Array | undefined> {
    try {
      const { header, body } = decodeMessage<PutHeader>(data);
      const items = "items" in header ? header.items : [[header.ts, body.byteLength] as [number, number]];
      const parts = splitBody(body, items.map(([, len]) => len));
      const puts = items.map(([ts], k) => this.store(s, ts, parts[k]));
      if (ack) {
        await Promise.all(puts);
        return encodeMessage({});
      }
      for (const p of puts) p.catch((err: unknown) => this.reportError(err, `fire-and-forget put to channel ${JSON.stringify(s.hosted.name)}`));
      return undefined;
    } catch (err) {
      if (ack) return encodeMessage({ error: toWire(err) });
      this.reportError(err, `fire-and-forget put to channel ${JSON.stringify(s.hosted.name)}`);
      return undefined;
    }
  }

  private store(s: Served, ts: number, payload: Uint8Array): Promise<void> {
    s.received.set(ts, payload);
    return s.hosted.put(s.hosted.codec.decode(payload), ts).finally(() => s.received.delete(ts));
  }
}
