// Remote puts stored as their bytes and decoded on read (channels/receivedItem.ts), against a
// real nats-server: every way of reading gives the values back equal, as plain items; a
// malformed payload is refused with CodecError (fire-and-forget: reported through onError)
// and nothing is stored; byte retention counts the received bytes; the live message stays
// gapless when a batch cannot be forwarded whole.
import t from "tap";
import { firstValueFrom, take, toArray } from "rxjs";
import { type Codec, CodecError, DuplicateTimestampError, PtsError, channelSubjects, decodeMessage, encodeMessage } from "../../../index.ts";
import type { LiveHeader, PutReply } from "../../../channels/remote/protocol.ts";
import { ReceivedItem } from "../../../channels/receivedItem.ts";
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
