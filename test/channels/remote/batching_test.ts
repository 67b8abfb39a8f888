// Batching on the wire (channels/remote/protocol.ts), against a real nats-server: the puts of
// one turn travel as one message, each put keeps its own outcome, batches stay under
// max_payload, and a host publishes the items of one turn as one numbered items message. A
// plain nats.js connection watches the subjects and counts the messages.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { NatsConnection } from "@nats-io/transport-node";
import { DuplicateTimestampError, InvalidTimestampError, PtsError, channelSubjects, decodeMessage } from "../../../index.ts";
import type { LiveHeader, PutHeader, PutReply } from "../../../channels/remote/protocol.ts";
import { hostAndClient as setup } from "./hostAndClient.ts";

/** Collects the headers of the messages on a subject; `until(n)` resolves once they held n items. */
async function watch<H extends { items: unknown[] }>(nc: NatsConnection, subject: string): Promise<{ seen: H[]; until: (n: number) => Promise<void>; close: () => void }> {
  const seen: H[] = [];
  let items = 0;
  let waiting: { done: () => boolean; wake: () => void } | undefined;
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      const header = decodeMessage<H>(msg.data).header;
      seen.push(header);
      items += header.items.length;
      if (waiting?.done()) waiting.wake();
    },
  });
  await nc.flush();
  const until = (n: number) => {
    const done = () => items >= n;
    return done() ? Promise.resolve() : new Promise<void>((wake) => (waiting = { done, wake }));
  };
  return { seen, until, close: () => sub.unsubscribe() };
}

t.test("batching - acked puts of one turn are one request, and each settles alone", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pts-batching-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { host, client, nc } = await setup(t, [], { dataDir: dir });

  for (const persist of [undefined, { mode: "sync" as const }]) {
    const name = persist ? "durable" : "memory";
    await host.channel<number>(name, persist ? { persist } : {});
    const requests = await watch<PutHeader>(nc, channelSubjects(client.namespace, name).put);
    const live = await watch<LiveHeader>(nc, channelSubjects(client.namespace, name).items);
    const ch = await client.lookup<number>(name);
    await ch.put(0, 5);
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((ts) => ch.put(ts * 10, ts)));
    await requests.until(7);
    requests.close();
    t.same(requests.seen.map((r) => r.items.length), [1, 6], `${name}: one request for the puts of one turn`);
    t.same(outcomes.map((o) => o.status), ["fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled"], `${name}: only the duplicate failed`);
    const refused = (outcomes[4] as PromiseRejectedResult).reason;
    t.ok(refused instanceof DuplicateTimestampError, `${name}: with the host's typed error`);
    t.same((await ch.get("oldest", "newest")).map((i) => [i.ts, i.value]), [[1, 10], [2, 20], [3, 30], [4, 40], [5, 0], [6, 60]], `${name}: the others were stored`);
    await live.until(6);
    // How a sync channel's items split into messages follows the journal's commits.
    const published = live.seen.flatMap((m) => m.items.map(([ts], k) => [m.seq + k, ts]));
    t.same(published, [[1, 5], [2, 1], [3, 2], [4, 3], [5, 4], [6, 6]], `${name}: published live without the refused item, numbered on`);
  }

  const ch = await client.lookup<number>("memory");
  await t.rejects(ch.put(1, -5), InvalidTimestampError, "a bad timestamp fails before anything is sent");
  const garbled = await nc.request(channelSubjects(client.namespace, "memory").put, new Uint8Array([1, 2]), { timeout: 5000 });
  t.equal(decodeMessage<PutReply>(garbled.data).header.error?.code, "PTS_FRAME", "a malformed put message gets an error reply");
});

t.test("batching - fire-and-forget puts of one turn are one message; a refused one reaches onError", async (t) => {
  const reported: { err: unknown; context: string }[] = [];
  let wake: () => void = () => undefined;
  const firstReport = new Promise<void>((resolve) => (wake = resolve));
  const onError = (err: unknown, context: string) => {
    reported.push({ err, context });
    wake();
  };
  const { host, client, nc } = await setup(t, [], { onError });
  const hosted = await host.channel<number>("feed");
  const requests = await watch<PutHeader>(nc, channelSubjects(client.namespace, "feed").put);
  const ch = await client.lookup<number>("feed", { ack: false });
  for (let ts = 1; ts <= 100; ts++) await ch.put(ts, ts);
  await ch.put(-1, 50); // a duplicate: only the host can tell
  t.equal((await hosted.next(99, { timeoutMs: 10_000 })).ts, 100);
  await requests.until(101);
  t.same(requests.seen.map((r) => r.items.length), [101], "one message for the puts of one turn");
  await firstReport;
  t.equal(reported.length, 1, "the refused put is reported");
  t.ok(reported[0].err instanceof PtsError && reported[0].err.code === DuplicateTimestampError.code);
  t.match(reported[0].context, /fire-and-forget put to channel "feed"/);
});

t.test("batching - a fire-and-forget publish that failed is reported by the next put, once", async (t) => {
  const { host, client } = await setup(t);
  const hosted = await host.channel<number>("flaky");
  const ch = await client.lookup<number>("flaky", { ack: false });
  // The client's transport refuses one publish, as a closing connection would.
  const transport = (ch as unknown as { transport: { publish: (subject: string, data: Uint8Array) => void } }).transport;
  const publish = transport.publish.bind(transport);
  transport.publish = () => {
    transport.publish = publish;
    throw new Error("connection closed");
  };
  await ch.put(1, 1);
  await new Promise((r) => setImmediate(r)); // the batch leaves, and fails
  await t.rejects(ch.put(2, 2), /connection closed/, "the next put reports the failure");
  await ch.put(3, 3);
  t.same(await hosted.next(0, { timeoutMs: 10_000 }), { ts: 3, value: 3 }, "then puts travel again");
});

t.test("batching - batches larger than max_payload are split, in order", async (t) => {
  const config = join(mkdtempSync(join(tmpdir(), "pts-nats-conf-")), "small.conf");
  writeFileSync(config, "max_payload: 65536\n");
  const { host, client, nc } = await setup(t, ["-c", config]);
  await host.channel<Uint8Array>("frames", { codec: "binary" });
  const subjects = channelSubjects(client.namespace, "frames");
  const requests = await watch<PutHeader>(nc, subjects.put);
  const live = await watch<LiveHeader>(nc, subjects.items);
  const acked = await client.lookup<Uint8Array>("frames");
  await Promise.all([1, 2, 3, 4, 5].map((ts) => acked.put(Buffer.alloc(20_000, ts), ts)));
  const fired = await client.lookup<Uint8Array>("frames", { ack: false });
  for (let ts = 6; ts <= 10; ts++) await fired.put(Buffer.alloc(20_000, ts), ts);
  await Promise.all([requests.until(10), live.until(10)]);
  t.same(requests.seen.map((r) => r.items.map(([ts]) => ts)), [[1, 2, 3], [4, 5], [6, 7, 8], [9, 10]], "each put message stays under max_payload");
  t.same(live.seen.map((m) => [m.seq, m.items.map(([ts]) => ts)]), [[1, [1, 2, 3]], [4, [4, 5]], [6, [6, 7, 8]], [9, [9, 10]]], "items messages too, numbered by their first item");
  t.same((await acked.get("oldest", "newest")).map((i) => [i.ts, i.value.byteLength, i.value[0]]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((ts) => [ts, 20_000, ts]));
});

t.test("batching - a host publishes the items of one turn as one message, numbered in put order", async (t) => {
  const { host, client, nc } = await setup(t);
  const hosted = await host.channel<string>("events");
  const live = await watch<LiveHeader>(nc, channelSubjects(client.namespace, "events").items);
  const remote = await client.lookup<string>("events", { from: "oldest" });
  const it = remote.items({ follow: true });
  await Promise.all([hosted.put("a", 3), hosted.put("b", 1), hosted.put("c", 2)]);
  await new Promise((resolve) => setImmediate(resolve)); // the next turn: a new message
  await hosted.put("d", 4);
  const seen: string[] = [];
  for await (const item of it) {
    seen.push(item.value);
    if (item.value === "d") break;
  }
  await live.until(4);
  t.same(live.seen.map((m) => [m.seq, m.items.map(([ts]) => ts)]), [[1, [3, 1, 2]], [4, [4]]], "one message per turn, items in put order");
  t.same(seen, ["b", "c", "a", "d"], "the iterator gets each item once, in time order");
});

t.test("batching - an acked put's live items reach a subscriber before its ack", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pts-batching-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { host, client } = await setup(t, [], { dataDir: dir });
  for (const persist of [undefined, { mode: "sync" as const }]) {
    const name = persist ? "durable live" : "memory live";
    await host.channel<number>(name, persist ? { persist } : {});
    const ch = await client.lookup<number>(name);
    const seen: number[] = [];
    const off = ch.on("put", (item) => void seen.push(item.ts));
    await ch.get("newest"); // a round trip on the same connection: the subscription is in place
    await Promise.all([ch.put(1, 1001), ch.put(2, 1002)]);
    t.same(seen, [1001, 1002], `${name}: a batch's items arrived before its reply`);
    await ch.put(3, 1003);
    t.same(seen, [1001, 1002, 1003], `${name}: a lone put's item arrived before its reply`);
    off();
  }
});
