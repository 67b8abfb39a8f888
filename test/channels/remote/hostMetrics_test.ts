// The hosting runtime's metrics count what remote handles do (channels/remote/channelHost.ts):
// their get requests are reads answered, and their acknowledged puts to a persist "sync"
// channel are timed like local ones. Real nats-server, real /metrics scrapes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Runtime } from "../../../index.ts";
import { startNatsServer } from "../../helpers/natsServer.ts";

async function series(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

t.test("host metrics - remote gets are counted and remote sync puts timed where the channel is hosted", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pts-host-metrics-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const host = await Runtime.start({ nats: nats.url, dataDir: dir, metrics: { port: 0 } });
  const client = await Runtime.start({ nats: nats.url, metrics: false });
  t.teardown(async () => {
    await client.stop();
    await host.stop();
  });
  const url = host.metricsAddress!.url;
  await host.channel<string>("ledger", { persist: { mode: "sync" } });
  const gets = 'pts_channel_gets_total{channel="ledger"}';
  const timed = 'pts_channel_put_latency_seconds_count{channel="ledger"}';
  t.equal(await series(url, gets), 0);
  t.equal(await series(url, timed), 0, "the first scrape starts the timing");

  const remote = await client.lookup<string>("ledger");
  await remote.put("a", 10);
  await remote.put("b", 20);
  t.same(await remote.get(10), { ts: 10, value: "a" });
  t.same(await remote.get("newest"), { ts: 20, value: "b" });
  t.same(await remote.next(10), { ts: 20, value: "b" });
  t.same(await remote.get(10, 20), [{ ts: 10, value: "a" }, { ts: 20, value: "b" }]);
  const reads = client.lookup<string>("ledger", { consumer: "auditor", from: "oldest" });
  t.same(await (await reads).get(), { ts: 10, value: "a" });

  t.equal(await series(url, gets), 5, "get(ts), get(newest), next(), get(lo, hi) and a consumer's get(), and nothing the handles read for themselves");
  t.equal(await series(url, timed), 2, "both acknowledged remote puts were timed at the host");
});
