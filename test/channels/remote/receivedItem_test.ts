// Remote puts stored as their bytes and decoded on read (channels/receivedItem.ts), against a
// real nats-server: every way of reading gives the values back equal, as plain items; a
// malformed payload is refused with CodecError (fire-and-forget: reported through onError)
// and nothing is stored; byte retention counts the received bytes; the live message stays
// gapless when a batch cannot be forwarded whole; remote reads served by the host (memory or
// persistent, window or disk) decode nothing there; a closed channel or a bad ts is reported
// before a malformed payload; a kept put message does not pin a slab of Node's shared pool.
import t, { type Test } from "tap";
import { firstValueFrom, take, toArray } from "rxjs";
import { type Channel, type Codec, ChannelClosedError, CodecError, DuplicateTimestampError, InvalidTimestampError, PtsError, channelSubjects, decodeMessage, encodeMessage, jsonCodec } from "../../../index.ts";
import { HostedChannel } from "../../../channels/hostedChannel.ts";
import type { LiveHeader, PutReply } from "../../../channels/remote/protocol.ts";
import { ReceivedItem, isReceived, opened } from "../../../channels/receivedItem.ts";
import { hostAndClient } from "./hostAndClient.ts";

type Reading = { sensor: string; seq: number; ax: number; note: string };
const reading = (seq: number): Reading => ({ sensor: "imu", seq, ax: -0.9812 * seq, note: `é 🚀 ${seq}` });

t.test("receivedItem - values put remotely read back equal on the host, by every read", async (t) => {
  const { host, client } = await hostAndClient(t);
  const hosted = await host.channel<Reading>("readings", { retain: { count: 5 } });
  const triggered: Reading[] = [];
  const collected: Reading[] = [];
  hosted.on("put", (item) => void triggered.push(item.value));
  hosted.on("gc", (items) => void collected.push(...items.map((i) => i.value)));
  const live = firstValueFrom(hosted.observe({ from: 4 }).pipe(take(3), toArray()));
  const ch = await client.lookup<Reading>("readings", { ack: false });
  for (let seq = 1; seq <= 6; seq++) await ch.put(reading(seq), seq);
  t.same(await hosted.next(5, { timeoutMs: 10_000 }), { ts: 6, value: reading(6) }, "next");
  t.same(await hosted.get(2), { ts: 2, value: reading(2) }, "get(ts)");
  t.same(await hosted.get("newest"), { ts: 6, value: reading(6) }, "get newest");
  t.same(await hosted.get("oldest"), { ts: 2, value: reading(2) }, "get oldest (1 left by count)");
  t.same(await hosted.get(3, 4), [{ ts: 3, value: reading(3) }, { ts: 4, value: reading(4) }], "get(lo, hi)");
  const iterated = [];
  for await (const item of hosted.items({ from: "oldest" })) iterated.push(item);
  t.same(iterated.map((i) => i.value), [2, 3, 4, 5, 6].map(reading), "items");
  t.same((await live).map((i) => i.value), [4, 5, 6].map(reading), "observe");
  t.same(triggered, [1, 2, 3, 4, 5, 6].map(reading), "put trigger");
  t.same(collected, [reading(1)], "gc trigger");
  const item = await hosted.get(4);
  t.ok(item instanceof ReceivedItem, "stored as received");
  t.equal(await hosted.get(4), item, "the same decoded item on every read");
  t.equal(JSON.stringify(item), JSON.stringify({ ts: 4, value: reading(4) }), "shows only ts and value");
  t.same({ ...item }, { ts: 4, value: reading(4) }, "spreads as a plain item");
  const remote = await client.lookup<Reading>("readings");
  t.same(await remote.get(3, 6), [3, 4, 5, 6].map((ts) => ({ ts, value: reading(ts) })), "remote reads, from the received bytes");
});

t.test("receivedItem - a malformed payload is refused with CodecError, counted, and not stored", async (t) => {
  const reported: unknown[] = [];
  let wake: () => void = () => undefined;
  const firstReport = new Promise<void>((resolve) => (wake = resolve));
  const { host, client, nc } = await hostAndClient(t, [], {
    onError: (err) => {
      reported.push(err);
      wake();
    },
  });
  const hosted = await host.channel<unknown>("strict");
  const subject = channelSubjects(client.namespace, "strict").put;
  const payloads = [Buffer.from('{"ok":1}'), Buffer.from('{"bad":}'), Buffer.from([0x22, 0xc3, 0x28, 0x22]), Buffer.from("[2]")];
  const frame = (base: number) => encodeMessage({ items: payloads.map((p, k) => [base + k, p.byteLength]) }, payloads);
  nc.publish(subject, frame(1));
  t.same(await hosted.next(3, { timeoutMs: 10_000 }), { ts: 4, value: [2] }, "the good items of the batch are stored");
  await firstReport;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(reported.length, 2, "fire-and-forget: each malformed payload is reported");
  for (const err of reported) t.ok(err instanceof CodecError, "as CodecError");
  t.same((await hosted.get("oldest", "newest")).map((i) => i.ts), [1, 4], "nothing stored for them");
  t.equal(hosted.stats().puts, 2, "only stored puts are counted as puts");
  const reply = decodeMessage<PutReply>((await nc.request(subject, frame(11), { timeout: 5000 })).data).header;
  t.same(reply.failed?.map(([k, e]) => [k, e.code]), [[1, CodecError.code], [2, CodecError.code]], "acked: each malformed item is named with its code");
  t.same((await hosted.get(11, 14)).map((i) => i.ts), [11, 14]);
});

t.test("receivedItem - a codec's check still refuses a value that decodes", async (t) => {
  const reported: unknown[] = [];
  const { host, client, nc } = await hostAndClient(t, [], { onError: (err) => void reported.push(err) });
  const even: Codec<number> = {
    name: "even",
    encode: (n) => Buffer.from(String(n)),
    decode: (b) => Number(Buffer.from(b).toString()),
    check: (n) => {
      if (n % 2 !== 0) throw new CodecError("even", `${n} is odd`);
    },
  };
  const hosted = await host.channel<number>("evens", { codec: even });
  const payloads = [Buffer.from("3"), Buffer.from("4")];
  nc.publish(channelSubjects(client.namespace, "evens").put, encodeMessage({ items: [[1, 1], [2, 1]] }, payloads));
  t.same(await hosted.next(0, { timeoutMs: 10_000 }), { ts: 2, value: 4 }, "the even value is stored");
  t.equal(reported.length, 1);
  t.match(String(reported[0]), /3 is odd/, "the odd one is refused by the check");
});

t.test("receivedItem - byte retention counts the received bytes", async (t) => {
  const { host, client } = await hostAndClient(t);
  const hosted = await host.channel<string>("sized", { retain: { bytes: 100 } });
  const ch = await client.lookup<string>("sized");
  for (let ts = 1; ts <= 5; ts++) await ch.put("x".repeat(38), ts); // 40 bytes of JSON each
  t.same((await hosted.get("oldest", "newest")).map((i) => i.ts), [4, 5], "two fit in 100 bytes");
  t.equal(hosted.stats().bytes, 80);
  await t.rejects(ch.put("y".repeat(200), 6), { code: "PTS_ITEM_TOO_LARGE" }, "an item larger than the window is refused");
});

t.test("receivedItem - a batch with a refused item is published live without a gap", async (t) => {
  const reported: unknown[] = [];
  const { host, client, nc } = await hostAndClient(t, [], { onError: (err) => void reported.push(err) });
  const hosted = await host.channel<number>("numbers");
  const seen: LiveHeader[] = [];
  nc.subscribe(channelSubjects(client.namespace, "numbers").items, { callback: (_err, msg) => void seen.push(decodeMessage<LiveHeader>(msg.data).header) });
  await nc.flush();
  await hosted.put(0, 3);
  const ch = await client.lookup<number>("numbers", { from: "oldest" });
  const it = ch.items({ follow: true });
  const fired = await client.lookup<number>("numbers", { ack: false });
  for (const ts of [4, 5, 3, 6, 7]) await fired.put(ts * 10, ts); // 3 is a duplicate
  const got: number[] = [];
  for await (const item of it) {
    got.push(item.ts);
    if (item.ts === 7) break;
  }
  t.same(got, [3, 4, 5, 6, 7], "the iterator sees every stored item once");
  t.same(await hosted.get(3), { ts: 3, value: 0 }, "the first put at 3 stays");
  await nc.flush(); // the server sends its PONG after the items messages it routed here before
  t.same(seen.map((m) => [m.seq, m.items.map(([ts]) => ts)]), [[1, [3]], [2, [4, 5, 6, 7]]], "numbered without a gap, the refused item left out");
  t.ok(reported[0] instanceof PtsError && reported[0].code === DuplicateTimestampError.code, "the refused item is reported");
});

/** The json codec under another name, counting its decodes. */
function countingJson(): { codec: Codec<unknown>; decodes: () => number } {
  let n = 0;
  const codec: Codec<unknown> = {
    name: "counted",
    encode: (v) => jsonCodec.encode(v),
    encodeInto: (v, target, offset, end) => jsonCodec.encodeInto!(v, target, offset, end),
    validate: (b) => jsonCodec.validate!(b),
    decode: (b) => {
      n++;
      return jsonCodec.decode(b);
    },
  };
  return { codec, decodes: () => n };
}

/** Every remote way of reading, against items 1..n put as reading(ts); each read checked. */
async function readEveryWayRemotely(t: Test, ch: Channel<Reading>, n: number): Promise<void> {
  t.same(await ch.get(7), { ts: 7, value: reading(7) }, "get(ts)");
  t.same(await ch.get("newest"), { ts: n, value: reading(n) }, "get newest");
  t.same(await ch.get("oldest"), { ts: 1, value: reading(1) }, "get oldest");
  t.same(await ch.get(3, 5), [3, 4, 5].map((ts) => ({ ts, value: reading(ts) })), "get(lo, hi)");
  t.same(await ch.next(n - 2, { timeoutMs: 10_000 }), { ts: n - 1, value: reading(n - 1) }, "next");
  const taken = [];
  for await (const item of ch.items({ from: n - 10 })) {
    taken.push(item.ts);
    if (taken.length === 5) break;
  }
  t.same(taken, [n - 10, n - 9, n - 8, n - 7, n - 6], "items from a bound");
}

t.test("receivedItem - remote reads on a host decode nothing: received bytes go out as they came", async (t) => {
  const { host, client } = await hostAndClient(t);
  const counted = countingJson();
  const hosted = await host.channel<Reading>("counted", { codec: counted.codec as Codec<Reading> });
  const fired = await client.lookup<Reading>("counted", { ack: false, codec: countingJson().codec });
  const n = 2000;
  for (let ts = 1; ts <= n; ts++) await fired.put(reading(ts), ts);
  const reader = await client.lookup<Reading>("counted", { codec: countingJson().codec, consumer: "c", from: "oldest" });
  await readEveryWayRemotely(t, reader, n);
  t.same(await reader.get(), { ts: 1, value: reading(1) }, "a named consumer's take");
  t.equal(counted.decodes(), 0, "the host decoded nothing");
  t.same(await hosted.get(9), { ts: 9, value: reading(9) });
  t.equal(counted.decodes(), 1, "a read on the host decodes the item it returns (the count is live)");
});

t.test("receivedItem - remote reads of a persistent channel decode nothing, from the window or from disk", async (t) => {
  const { host, client } = await hostAndClient(t, [], { dataDir: t.testdir() });
  const counted = countingJson();
  await host.channel<Reading>("kept", { codec: counted.codec as Codec<Reading>, persist: { mode: "sync" }, retain: { count: 20 } });
  const acked = await client.lookup<Reading>("kept", { codec: countingJson().codec });
  const n = 200;
  await Promise.all(Array.from({ length: n }, (_, k) => acked.put(reading(k + 1), k + 1)));
  await readEveryWayRemotely(t, await client.lookup<Reading>("kept", { codec: countingJson().codec }), n);
  t.equal(counted.decodes(), 0, "the host decoded nothing (items 1..180 are read back from disk)");
});

t.test("receivedItem - a closed channel refuses a remote put with ChannelClosedError before looking at its bytes", async (t) => {
  const hosted = new HostedChannel<unknown>("closed", jsonCodec, {}, "reject", () => undefined);
  hosted.close();
  await t.rejects(hosted.putReceived(1, Buffer.from("{bad")), ChannelClosedError, "closed, with a malformed payload");
  const open = new HostedChannel<unknown>("open", jsonCodec, {}, "reject", () => undefined);
  await t.rejects(open.putReceived(-1, Buffer.from("{bad")), InvalidTimestampError, "a bad ts is reported before a malformed payload");
  await t.rejects(open.putReceived(1, Buffer.from("{bad")), CodecError, "a malformed payload on an open channel");
  t.equal(open.stats().items, 0);
});

t.test("receivedItem - a kept put message is copied into a buffer of its own, not Node's shared pool", async (t) => {
  const { host, client } = await hostAndClient(t);
  const hosted = await host.channel<Reading>("small");
  const fired = await client.lookup<Reading>("small", { ack: false });
  await fired.put(reading(1), 1);
  const item = await hosted.next(0, { timeoutMs: 10_000 });
  t.ok(item instanceof ReceivedItem);
  const payload = (item as ReceivedItem<Reading>).payload;
  t.ok(payload.buffer.byteLength < Buffer.poolSize, `the payload's buffer holds the message only (${payload.buffer.byteLength} bytes)`);
});

t.test("receivedItem - isReceived tells received items from plain ones, and opened decodes only those", async (t) => {
  const plain = { ts: 1, value: reading(1) };
  const received = ReceivedItem.stored(2, jsonCodec.encode(reading(2)), jsonCodec);
  t.notOk(isReceived(plain), "a plain item");
  t.ok(isReceived(received), "a received one");
  t.equal(opened(plain), plain, "a plain item is returned as it is");
  t.same(opened(received).value, reading(2), "a received one is decoded");
  t.equal(opened(undefined), undefined);
});
