// RemoteItems, the live iterator of a remote channel, against a scripted host: batched live
// messages, the seam with history, lost messages, repeated messages and a host restart. The
// host is a fake (history pages and live messages under the test's control), so the losses are
// exact rather than provoked.
import t from "tap";
import { type TransportMsg, jsonCodec } from "../../../index.ts";
import type { Bound, Item } from "../../../channels/types.ts";
import { frameEncoded } from "../../../channels/remote/protocol.ts";
import type { RemoteChannel } from "../../../channels/remote/remoteChannel.ts";
import { RemoteItems } from "../../../channels/remote/remoteItems.ts";

/** A host that numbers its items as ChannelHost does, and publishes only when told. */
function scriptedHost() {
  const stored: Item<number>[] = [];
  let host = "h1";
  let seq = 0;
  let onLive: ((msg: TransportMsg) => void) | undefined;
  const pages: number[] = [];
  const channel = {
    codec: jsonCodec,
    subjects: { items: "items" },
    transport: {
      subscribe: (_subject: string, handler: (msg: TransportMsg) => void) => {
        onLive = handler;
        return { unsubscribe: () => (onLive = undefined) };
      },
    },
    startAfter: (from: Bound) => Promise.resolve(from === "oldest" ? -1 : (from as number) - 1),
    resolve: (bound: Bound) => Promise.resolve(bound as number),
    page: (lo: Bound, hi: Bound) => {
      pages.push(lo as number);
      const items = stored.filter((i) => i.ts >= (lo as number) && i.ts <= (hi as number));
      return Promise.resolve({ header: { seq, host, more: false }, items });
    },
  } as unknown as RemoteChannel<number>;
  return {
    channel,
    pages,
    /** Stores items and returns the live message that announces them (not sent yet). */
    put(...ts: number[]): () => void {
      const first = seq + 1;
      stored.push(...ts.map((x) => ({ ts: x, value: x * 10 })));
      seq += ts.length;
      return this.message(first, ts);
    },
    /** A live message of stored items, the first numbered `first`. */
    message(first: number, ts: number[]): () => void {
      const data = frameEncoded({ host, seq: first }, ts.map((x) => ({ ts: x, payload: jsonCodec.encode(x * 10) })));
      return () => onLive?.({ subject: "items", data, expectsReply: false, respond: () => undefined });
    },
    restart(): void {
      host = "h2";
      seq = 0;
    },
  };
}

async function take(it: AsyncIterator<Item<number>>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.ts);
  }
  return out;
}

t.test("remoteItems - batches after the history, a lost batch, repeats and a restart", async (t) => {
  const host = scriptedHost();
  host.put(1, 2); // before the iterator: history only
  const it = new RemoteItems(host.channel, { follow: true, from: "oldest" }, () => undefined);
  t.same(await take(it, 2), [1, 2], "history first");
  t.same(host.pages, [0], "one history page");

  const announce3and4 = host.put(3, 4);
  announce3and4();
  t.same(await take(it, 2), [3, 4], "a batch of two live items");

  host.put(5, 6); // its message is lost
  const announce7 = host.put(7);
  announce7();
  t.same(await take(it, 3), [5, 6, 7], "a batch that starts past the next number: the missed items come from history");
  t.same(host.pages, [0, 5], "history was fetched again, from after the last item delivered");

  announce3and4(); // a repeat: everything in it was delivered
  const announce8 = host.put(8);
  announce8();
  t.same(await take(it, 1), [8], "a repeated batch is skipped");

  host.restart();
  const announce9 = host.put(9);
  announce9();
  t.same(await take(it, 1), [9], "a batch from a restarted host: history again");
  t.same(host.pages, [0, 5, 9]);
  await it.return();
});

t.test("remoteItems - at the seam, what history covered is skipped, and an overlapping batch gives only its new items", async (t) => {
  const host = scriptedHost();
  const it = new RemoteItems(host.channel, { follow: true, from: "oldest" }, () => undefined);
  const first = it.next(); // subscribes now, fetches history later
  const announce1to3 = host.put(1, 2, 3); // stored before the history is read
  announce1to3();
  t.same((await first).value, { ts: 1, value: 10 });
  t.same(await take(it, 2), [2, 3], "each item once: from history, not again from the live batch");

  host.put(4, 5);
  host.message(4, [4])();
  t.same(await take(it, 1), [4]);
  host.message(4, [4, 5])();
  t.same(await take(it, 1), [5], "a batch that starts inside what was delivered gives only the rest");
  announce1to3(); // a late repeat
  host.put(6)();
  t.same(await take(it, 1), [6]);
  t.same(host.pages, [0], "no history fetch was needed");
  await it.return();
});
