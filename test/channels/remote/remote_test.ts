// Channels across processes over a real nats-server: a `pts serve` host process, producer
// processes (`pts put`), and consumers in this process.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { ChannelNotFoundError, ChannelHostedElsewhereError, DuplicateTimestampError, InvalidTimestampError, Runtime, WaitTimeoutError, ItemTooLargeError } from "../../../index.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";
import { startNatsCluster } from "../../helpers/natsCluster.ts";
import { pts, startServe } from "./ptsProcess.ts";

const producerScript = new URL("./producer.ts", import.meta.url).pathname;

/** Runs a producer process that puts each [channel, value, ts]; returns what it printed. */
async function runProducer(url: string, puts: [string, unknown, number][]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", producerScript, url, JSON.stringify(puts)]);
  return stdout.trim();
}

const NAMES = ["video channel", "cam.1.left", "*", ">", "a.*.>", "カメラ 🎥", "x".repeat(200)];

t.test("remote - every get variant across processes, for any name", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const dir = mkdtempSync(join(tmpdir(), "pts-remote-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const host = await startServe(["--nats", nats.url, "--data", dir, ...NAMES.flatMap((n) => ["--channel", n])]);
  t.teardown(() => host.kill());

  const producer = await runProducer(nats.url, NAMES.map((name, k) => [name, { k, n: 1 }, 1000]));
  t.equal(producer, `acked ${NAMES.length}`);
  const rt = await Runtime.start({ nats: nats.url });
  t.teardown(() => rt.stop());
  for (const [k, name] of NAMES.entries()) {
    const ch = await rt.lookup<{ k: number; n: number }>(name, { from: "oldest" });
    t.same(await ch.get(1000), { ts: 1000, value: { k, n: 1 } }, `get(ts) on ${JSON.stringify(name).slice(0, 40)}`);
  }

  const ch = await rt.lookup<{ k: number; n: number }>("video channel", { from: "oldest" });
  for (let n = 2; n <= 5; n++) await ch.put({ k: 0, n }, n * 1000);
  t.same(await ch.get(), { ts: 1000, value: { k: 0, n: 1 } }, "get() walks the cursor");
  t.same((await ch.get()).ts, 2000);
  t.same((await ch.get("newest"))?.ts, 5000);
  t.same((await ch.get("oldest"))?.ts, 1000);
  t.same((await ch.get(2000, 4000)).map((i) => i.value.n), [2, 3, 4]);
  t.same((await ch.get("oldest", "newest")).length, 5);
  t.equal(await ch.get(2500), undefined);
  t.same(await ch.next(4000), { ts: 5000, value: { k: 0, n: 5 } });
  await t.rejects(ch.next(5000, { timeoutMs: 50 }), WaitTimeoutError);
  await t.rejects(ch.get(-1), InvalidTimestampError);
  await t.rejects(ch.put({ k: 0, n: 9 }, 3000), DuplicateTimestampError, "the host's typed error arrives as the same class");

  const waiting = ch.next(5000, { timeoutMs: 20_000 });
  const late = await pts(["put", "video channel", '{"k":0,"n":6}', "--nats", nats.url, "--ts", "6000"]);
  t.equal(late.code, 0);
  t.same(await waiting, { ts: 6000, value: { k: 0, n: 6 } }, "a remote wait is satisfied by another process's put");

  const listing = await pts(["channels", "--nats", nats.url, "--json", "--wait", "3s"]);
  const listed = listing.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { name: string }).name);
  t.same(listed.sort(), [...NAMES].sort(), "pts channels lists every hosted name");
});

t.test("remote - unknown names, second hosts, oversized items and named consumers", async (t) => {
  const config = join(mkdtempSync(join(tmpdir(), "pts-nats-conf-")), "small.conf");
  writeFileSync(config, "max_payload: 65536\n");
  const nats = await startNatsServer({ args: ["-c", config] });
  t.teardown(() => nats.stop());
  const a = await Runtime.start({ nats: nats.url });
  const b = await Runtime.start({ nats: nats.url });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  await t.rejects(b.lookup("nobody hosts this"), ChannelNotFoundError);
  const hosted = await a.channel<number>("jobs", { retain: { count: 100 } });
  await t.rejects(b.channel("jobs"), ChannelHostedElsewhereError, "no split brain");
  for (let ts = 1; ts <= 6; ts++) await hosted.put(ts * 10, ts);
  const w1 = await b.lookup<number>("jobs", { consumer: "workers", from: "oldest" });
  const w2 = await b.lookup<number>("jobs", { consumer: "workers" });
  const taken = [(await w1.get()).ts, (await w2.get()).ts, (await w1.get()).ts, (await hosted.get()).ts];
  t.same(taken.slice(0, 3), [1, 2, 3], "remote handles of one consumer share the host's cursor");

  const big = await b.channel<Uint8Array>("frames", { codec: "binary" });
  const remoteBig = await a.lookup<Uint8Array>("frames");
  await t.rejects(remoteBig.put(Buffer.alloc(70_000)), ItemTooLargeError, "refused before sending, never truncated");
  await remoteBig.put(Buffer.alloc(60_000, 7), 1);
  t.equal((await big.get(1))?.value.byteLength, 60_000);
  for (let ts = 2; ts <= 5; ts++) await big.put(Buffer.alloc(40_000, ts), ts);
  const all = await remoteBig.get("oldest", "newest");
  t.same(all.map((i) => [i.ts, i.value.byteLength, i.value[0]]), [[1, 60_000, 7], [2, 40_000, 2], [3, 40_000, 3], [4, 40_000, 4], [5, 40_000, 5]], "a range larger than max_payload arrives in pages");

  const fast = await a.lookup<number>("jobs", { ack: false });
  for (let ts = 100; ts < 200; ts++) await fast.put(ts, ts);
  const last = await hosted.next(198, { timeoutMs: 10_000 });
  t.equal(last.ts, 199, "fire-and-forget puts arrive");
});

t.test("remote - a consumer on server A reads a channel hosted on server B", async (t) => {
  const cluster = await startNatsCluster();
  t.teardown(() => cluster.stop());
  const host = await startServe(["--nats", cluster.b.url, "--channel", "gps fix"]);
  t.teardown(() => host.kill());
  const rt = await Runtime.start({ nats: cluster.a.url });
  t.teardown(() => rt.stop());
  const ch = await rt.lookup<{ lat: number }>("gps fix", { from: "oldest" });
  const seen: number[] = [];
  const reader = (async () => {
    for await (const item of ch.items({ follow: true, to: 3000 })) seen.push(item.ts);
  })();
  t.equal(await runProducer(cluster.b.url, [1000, 2000, 3000].map((ts) => ["gps fix", { lat: ts }, ts])), "acked 3");
  await reader;
  t.same(seen, [1000, 2000, 3000]);
});
