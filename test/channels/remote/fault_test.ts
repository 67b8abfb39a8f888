// Faults with real processes: nats-server killed and restarted mid-stream, and a host process
// SIGKILLed and restarted. Nothing acknowledged is lost; live iterators resume without
// duplicates; failures during an outage are clear errors, never silence.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { ChannelUnavailableError, PtsError, Runtime } from "../../../index.ts";
import { channelSubjects } from "../../../runtime/transport/subjects.ts";
import { span, tick } from "../../helpers.ts";
import { startNatsServer, untilNoResponders } from "../../helpers/natsServer.ts";
import { startServe } from "./ptsProcess.ts";

t.test("fault - nats-server killed and restarted mid-stream", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const dir = mkdtempSync(join(tmpdir(), "pts-fault-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const host = await startServe(["--nats", nats.url, "--data", dir, "--channel", "sensor", "--persist", "sync"]);
  t.teardown(() => host.kill());

  const rt = await Runtime.start({ nats: { servers: nats.url, reconnectTimeWaitMs: 100 } });
  t.teardown(() => rt.stop());
  const producer = await rt.lookup<number>("sensor", { timeoutMs: 1000 });
  const consumer = await rt.lookup<number>("sensor", { from: "oldest" });
  const seen: number[] = [];
  const ac = new AbortController();
  const reading = (async () => {
    for await (const item of consumer.items({ follow: true, signal: ac.signal })) seen.push(item.ts);
  })();

  const acked: number[] = [];
  const failed: string[] = [];
  let ts = 0;
  // Puts outside the outage wait as long as a slow fsync on the host may take; those during it
  // give up after 1 s.
  const steady = await rt.lookup<number>("sensor", { timeoutMs: 10_000 });
  const put = async (handle = producer) => {
    ts++;
    try {
      await handle.put(ts * 10, ts);
      acked.push(ts);
    } catch (err) {
      failed.push(err instanceof PtsError ? err.code : `untyped: ${String(err)}`);
    }
  };
  for (let i = 0; i < 50; i++) await put(steady);
  await nats.kill();
  for (let i = 0; i < 5; i++) await put(); // during the outage
  await nats.restart();
  // Wait until puts are acknowledged again, then put some more.
  for (let i = 0; i < 200 && acked.at(-1) !== ts; i++) {
    await tick(50);
    await put();
  }
  for (let i = 0; i < 50; i++) await put(steady);
  const last = acked.at(-1)!;
  for (let i = 0; i < 400 && seen.at(-1) !== last; i++) await tick(25);
  ac.abort();
  await reading;

  t.same(acked.slice(0, 50), span(1, 50), "every put before the outage was acknowledged");
  t.same(acked.slice(-50), span(ts - 49, ts), "every put after it too");
  t.ok(failed.every((code) => /^PTS_(NATS_TIMEOUT|NATS|CHANNEL_UNAVAILABLE|NATS_CLOSED)$/.test(code)), `failures are clear, typed errors: ${[...new Set(failed)].join(", ")}`);
  t.equal(acked.length + failed.length, ts, "every put either completed or failed: none vanished");
  const stored = new Set((await consumer.get("oldest", "newest")).map((i) => i.ts));
  t.same(acked.filter((x) => !stored.has(x)), [], "every acknowledged put is stored");
  t.same(seen, [...seen].sort((a, b) => a - b), "the live iterator stayed in order");
  t.equal(new Set(seen).size, seen.length, "no duplicates across the reconnect");
  t.same(acked.filter((x) => !seen.includes(x)), [], "the iterator resumed without a gap: it saw every acknowledged put");
});

t.test("fault - a host process SIGKILLed and restarted: errors, then the same handle works", async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.stop());
  const dir = mkdtempSync(join(tmpdir(), "pts-fault-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let host = await startServe(["--nats", nats.url, "--data", dir, "--channel", "door"]);
  t.teardown(() => host.kill());
  const rt = await Runtime.start({ nats: nats.url });
  t.teardown(() => rt.stop());
  const door = await rt.lookup<string>("door", { timeoutMs: 1000 });
  await door.put("open", 1);
  await door.put("closed", 2);

  await host.kill("SIGKILL");
  // The host is dead once nats-server has read its closed socket; a request in between goes
  // to the dead subscription and times out instead.
  await untilNoResponders(nats.url, channelSubjects("default", "door").get);
  await t.rejects(door.get(1), ChannelUnavailableError, "a dead host is a clear error");
  await t.rejects(door.put("open", 3), ChannelUnavailableError);

  host = await startServe(["--nats", nats.url, "--data", dir]);
  t.same(await door.get(1), { ts: 1, value: "open" }, "the same handle works again, and the sync puts survived the kill");
  await door.put("open", 3);
  t.same((await door.get("oldest", "newest")).map((i) => i.value), ["open", "closed", "open"]);
});
