/**
 * Remote puts into a persistent channel are stored as the bytes they came in (no decoding, no
 * second encoding), against a real nats-server and a host with a dataDir: in both modes every
 * read on the host gives the values back equal, the put trigger sees them decoded, and a
 * restarted host reads the same values from disk; a malformed payload is refused with
 * CodecError and nothing is stored; a persist trigger still sees (and may replace) the value.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { CodecError, Runtime, channelSubjects, decodeMessage, encodeMessage } from "../../../index.ts";
import type { PutReply } from "../../../channels/remote/protocol.ts";
import { ReceivedItem } from "../../../channels/receivedItem.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";
import { connect } from "@nats-io/transport-node";

type Reading = { sensor: string; seq: number; ax: number; note: string };
const reading = (seq: number): Reading => ({ sensor: "imu", seq, ax: -0.9812 * seq, note: `é 🚀 ${seq}` });
const MODES = [{ mode: "sync" as const }, { mode: "checkpoint" as const, everyMs: 3_600_000 }];

async function setup(t: Test): Promise<{ url: string; dataDir: string; host: () => Promise<Runtime>; client: Runtime }> {
  const nats = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), "pts-remote-put-"));
  const hosts: Runtime[] = [];
  const client = await Runtime.start({ nats: nats.url });
  t.teardown(async () => {
    await client.stop();
    for (const h of hosts) await h.stop();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const host = async () => {
    const rt = await Runtime.start({ nats: nats.url, dataDir });
    hosts.push(rt);
    return rt;
  };
  return { url: nats.url, dataDir, host, client };
}

for (const persist of MODES) {
  t.test(`remote put (${persist.mode}) - stored as received, read back equal on the host, before and after a restart`, async (t) => {
    const { host, client } = await setup(t);
    let rt = await host();
    const hosted = await rt.channel<Reading>("readings", { persist, retain: { count: 3 } });
    const triggered: Reading[] = [];
    hosted.on("put", (item) => void triggered.push(item.value));
    const ch = await client.lookup<Reading>("readings");
    await Promise.all([1, 2, 3, 4, 5].map((seq) => ch.put(reading(seq), seq)));
    const item = await hosted.get(5);
    t.ok(item instanceof ReceivedItem, "the window holds the received bytes");
    t.same(item, { ts: 5, value: reading(5) }, "get(ts) from the window");
    t.same(await hosted.get("newest"), { ts: 5, value: reading(5) }, "newest");
    t.same(await hosted.get("oldest"), { ts: 1, value: reading(1) }, "oldest, below the window");
    t.same(await hosted.get(1, 5), [1, 2, 3, 4, 5].map((seq) => ({ ts: seq, value: reading(seq) })), "a range across disk (or pending) and window");
    t.same(await hosted.next(3), { ts: 4, value: reading(4) }, "next");
    t.same(triggered, [1, 2, 3, 4, 5].map(reading), "the put trigger sees the values");
    t.same(await ch.get(2), { ts: 2, value: reading(2) }, "a remote get");
    await rt.stop();

    rt = await host();
    const again = await rt.channel<Reading>("readings", { persist, retain: { count: 3 } });
    t.same(await again.get("oldest", "newest"), [1, 2, 3, 4, 5].map((seq) => ({ ts: seq, value: reading(seq) })), "the records on disk are the received bytes");
  });
}

t.test("remote put - a malformed payload is refused with CodecError, and nothing is stored", async (t) => {
  const { url, host, client } = await setup(t);
  const rt = await host();
  const hosted = await rt.channel<Reading>("readings", { persist: { mode: "sync" } });
  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  const good = Buffer.from(JSON.stringify(reading(1)));
  const bad = Buffer.from('{"sensor": "imu", "seq": 2,');
  const request = encodeMessage({ items: [[1, good.byteLength], [2, bad.byteLength]] }, [good, bad]);
  const reply = decodeMessage<PutReply>((await nc.request(channelSubjects(client.namespace, "readings").put, request, { timeout: 10_000 })).data).header;
  t.equal(reply.failed?.length, 1, "one item refused");
  t.equal(reply.failed?.[0][0], 1, "the malformed one");
  t.equal(reply.failed?.[0][1].code, CodecError.code);
  t.same((await hosted.get("oldest", "newest")).map((i) => i.ts), [1], "only the good one is stored");
  t.equal(hosted.stats().stored?.items, 1);
});

t.test("remote put - a persist trigger still sees the value and may replace what is stored", async (t) => {
  const { host, client } = await setup(t);
  let rt = await host();
  const hosted = await rt.channel<Reading>("readings", { persist: { mode: "sync" } });
  const seen: number[] = [];
  hosted.on("persist", (item) => {
    seen.push(item.value.seq);
    return { ...item.value, note: "pickled" };
  });
  const ch = await client.lookup<Reading>("readings");
  await ch.put(reading(1), 1);
  t.same(seen, [1]);
  await rt.stop();
  rt = await host();
  const again = await rt.channel<Reading>("readings");
  t.same(await again.get(1), { ts: 1, value: { ...reading(1), note: "pickled" } }, "what the trigger returned was stored");
});
