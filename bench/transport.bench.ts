/**
 * Transport throughput and latency: remote puts (acknowledged, fire-and-forget, durable) and
 * remote get(ts), each against raw nats.js on the same nats-server in the same run.
 *
 *   npm run bench -- transport
 *
 * Processes (2 CPUs here, so every figure and its baseline share the same contention):
 * - one nats-server on a free loopback port, JetStream on (test/helpers/natsServer.ts);
 * - host: `pts serve --nats URL --channel …` hosting memory channels (ack, ff, get), and a
 *   second `pts serve --nats URL --data DIR --channel durable` hosting the persistent "sync"
 *   channel, each a child process, as deployed;
 * - raw responder: this file run as a child (`transport.bench.ts responder URL REPLY`), a bare
 *   nats.js program that answers requests with the same reply bytes the PTS host sends and
 *   counts published messages: the baseline's counterpart of the host;
 * - the client (this process): one Runtime for the remote handles, one raw nats.js connection
 *   for the baselines, and the JetStream client.
 *
 * Figures and baselines (payload: one ~90-byte JSON reading; raw sends the PTS frame's bytes):
 * - put with ack, 1 in flight (`await ch.put(v, ts)` in a loop) vs raw request/reply of the same
 *   request bytes, answered with the same reply bytes.
 * - fire-and-forget put: bursts of BURST puts (`await ch.put(v, ts)` on a handle with ack:false),
 *   each timed until the host's put count says it has stored them all, vs bursts of raw
 *   `nc.publish` of the same bytes, each timed until the raw responder has counted them all;
 *   a slice runs bursts until SLICE_MS have passed; one untimed burst of each first warms
 *   both up.
 * - get(ts) latency p50/p99, 1 in flight, vs raw request/reply of the same request and reply bytes.
 * - durable put, 64 producers (async loops on one connection) each awaiting an acknowledged put
 *   to a persist:"sync" channel (before the ack, the host fdatasyncs the data file and commits
 *   the index through LRVM group commit with its own fdatasync, the two at once) vs 64
 *   publishers each awaiting `js.publish` to a file-storage stream (JetStream acks once the
 *   message is written, without fsync: sync_interval defaults to 2 minutes).
 * Subjects and baselines run in alternating slices, so a burst of other load hits both alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { type Channel, type ChannelStats, Runtime, channelSubjects, decodeMessage, encodeMessage } from "../index.ts";
import { startServe, type ServeProcess } from "../test/channels/remote/ptsProcess.ts";
import { startNatsServer } from "../test/helpers/natsServer.ts";
import { clearStatus, figure, interleaved, status } from "./harness.ts";

const bench = "transport";
const SLICES = Number(process.env.PTS_BENCH_SLICES ?? 5);
const SLICE_MS = 600;
/** Fire-and-forget puts per burst. */
const BURST = 20_000;
const PRODUCERS = 64;
const RAW = { put: "bench.raw.put", get: "bench.raw.get", sink: "bench.raw.sink", sinkWait: "bench.raw.sink.wait" };

type Reading = { sensor: string; seq: number; ax: number; ay: number; az: number; temp: number };
const reading = (seq: number): Reading => ({ sensor: "imu-front-left", seq, ax: 0.0123, ay: -0.9812, az: 9.8061, temp: 24.56 });

/**
 * The raw counterpart of the host: answers RAW.put with the PTS ack bytes and RAW.get with the
 * PTS get reply bytes, and counts messages on RAW.sink (a RAW.sinkWait request for N is
 * answered once N have arrived).
 */
async function responder(url: string, getReplyBase64: string): Promise<void> {
  const nc = await connect({ servers: url, name: "bench-raw-responder" });
  const ack = encodeMessage({});
  const getReply = Buffer.from(getReplyBase64, "base64");
  let count = 0;
  let waiting: { target: number; respond: () => void } | undefined;
  nc.subscribe(RAW.put, { callback: (_err, msg) => void msg.respond(ack) });
  nc.subscribe(RAW.get, { callback: (_err, msg) => void msg.respond(getReply) });
  nc.subscribe(RAW.sink, {
    callback: () => {
      if (++count === waiting?.target) {
        waiting.respond();
        waiting = undefined;
      }
    },
  });
  nc.subscribe(RAW.sinkWait, {
    callback: (_err, msg) => {
      const target = Number(msg.string());
      const respond = () => void msg.respond(String(count));
      if (count >= target) respond();
      else waiting = { target, respond };
    },
  });
  await nc.flush();
  process.stdout.write("responder: ready\n");
  await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
  await nc.drain();
}

async function startResponder(url: string, getReply: Uint8Array): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname, "responder", url, Buffer.from(getReply).toString("base64")], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("responder: ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`raw responder exited with ${code}`)));
  });
  return child;
}

let step = 0;
function say(what: string): void {
  status(`transport bench [${++step}] ${what}`);
}



/** Calls `one` back to back, `concurrency` at a time, for about ms milliseconds; returns the calls done. */
async function loop(one: () => Promise<unknown>, ms: number, concurrency = 1, latencies?: number[]): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      if (latencies) {
        const t0 = performance.now();
        await one();
        latencies.push(performance.now() - t0);
      } else await one();
      n++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pts-transport-bench-"));
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => fs.rmSync(root, { recursive: true, force: true })];
  try {
    say("starting nats-server (JetStream on)");
    const nats = await startNatsServer({ jetstream: true });
    cleanups.unshift(() => nats.stop());
    say("starting the hosts (pts serve)");
    const memHost: ServeProcess = await startServe(["--nats", nats.url, "--channel", "ack", "--channel", "ff", "--channel", "get"]);
    cleanups.unshift(() => memHost.kill());
    const durableHost: ServeProcess = await startServe(["--nats", nats.url, "--data", path.join(root, "data"), "--channel", "durable", "--persist", "sync"]);
    cleanups.unshift(() => durableHost.kill());

    const rt = await Runtime.start({ nats: nats.url, metrics: false });
    cleanups.unshift(() => rt.stop());
    const nc = await connect({ servers: nats.url, name: "bench-raw" });
    cleanups.unshift(() => nc.drain());

    // Every put needs a new timestamp; one counter serves all channels.
    let ts = 1_700_000_000_000_000;
    let seq = 0;
    // A one-item put request as the host receives it (channels/remote/protocol.ts).
    const payload = Buffer.from(JSON.stringify(reading(123456)));
    const frame = encodeMessage({ items: [[ts, payload.byteLength]] }, [payload]);

    say("preparing the get channel");
    const getCh = await rt.lookup<Reading>("get");
    const GET_ITEMS = 1000;
    const getTs0 = ts;
    for (let i = 0; i < GET_ITEMS; i++) await getCh.put(reading(++seq), ++ts);
    // The raw baseline answers with the exact bytes the host answers a get(ts) with.
    const getRequest = encodeMessage({ op: "at", at: getTs0 + 500 });
    const getReply = (await nc.request(channelSubjects(rt.namespace, "get").get, getRequest, { timeout: 5000 })).data;
    const responderChild = await startResponder(nats.url, getReply);
    cleanups.unshift(() => new Promise((resolve) => (responderChild.once("exit", resolve), responderChild.kill("SIGTERM"))));

    // ---- put with ack, 1 in flight -------------------------------------------------------
    const ackCh = await rt.lookup<Reading>("ack");
    const [ackRate, rawReqRate] = await interleaved([
      { name: "remote put with ack", run: (ms) => loop(() => ackCh.put(reading(++seq), ++ts), ms) },
      { name: "raw request/reply", run: (ms) => loop(() => nc.request(RAW.put, frame, { timeout: 5000 }), ms) },
    ], SLICES, SLICE_MS, say);
    figure({ bench, figure: "remote put with ack, 1 in flight, vs raw request/reply", value: ackRate, unit: "msgs/s", baseline: rawReqRate, target: null });

    // ---- fire-and-forget put, bursts until the receiver has them all ----------------------
    const ffCh = await rt.lookup<Reading>("ff", { ack: false });
    const ffWatch = await rt.lookup<Reading>("ff");
    // The host's put count, asked with the info request a lookup sends.
    const ffInfo = channelSubjects(rt.namespace, "ff").info;
    const hostPuts = async () => decodeMessage<{ stats: ChannelStats }>((await nc.request(ffInfo, encodeMessage({}), { timeout: 5000 })).data).header.stats.puts;
    let ffSent = await hostPuts();
    let rawSent = 0;
    /** Bursts until about ms have passed (one at least); returns the messages sent. */
    const bursts = async (ms: number, burst: () => Promise<void>) => {
      const end = performance.now() + ms;
      let n = 0;
      do {
        await burst();
        n += BURST;
      } while (performance.now() < end);
      return n;
    };
    const ffSubjects = [
      {
        name: "remote fire-and-forget put",
        run: (ms: number) =>
          bursts(ms, async () => {
            for (let i = 0; i < BURST; i++) await ffCh.put(reading(++seq), ++ts);
            ffSent += BURST;
            // The host stores a handle's puts in order: wait (one long poll, not a poll per
            // millisecond, as the raw side waits for one reply) for the burst's last item,
            // then make sure by the host's put count that it has stored the whole burst.
            await ffWatch.next(ts - 1, { timeoutMs: 60_000 });
            while ((await hostPuts()) < ffSent) await new Promise((r) => setTimeout(r, 1));
          }),
      },
      {
        name: "raw publish",
        run: (ms: number) =>
          bursts(ms, async () => {
            for (let i = 0; i < BURST; i++) nc.publish(RAW.sink, frame);
            rawSent += BURST;
            await nc.request(RAW.sinkWait, String(rawSent), { timeout: 60_000 });
          }),
      },
      {
        name: "raw publish, one await per message",
        run: (ms: number) =>
          bursts(ms, async () => {
            // What `await ch.put()` does to nats.js: the await lets its microtask flush run, so
            // every message becomes its own socket write.
            for (let i = 0; i < BURST; i++) {
              nc.publish(RAW.sink, frame);
              await undefined;
            }
            rawSent += BURST;
            await nc.request(RAW.sinkWait, String(rawSent), { timeout: 60_000 });
          }),
      },
    ];
    // One untimed burst of each first, as the durable figure warms up both sides: the first
    // bursts run before the JIT has compiled the paths (the first two PTS bursts were measured
    // at a third to a half of the rate of later ones).
    say("warming up the fire-and-forget paths");
    for (const subject of ffSubjects) await subject.run(0);
    const [ffRate, rawPubRate, rawPubAwaitRate] = await interleaved(ffSubjects, SLICES, SLICE_MS, say);
    figure({ bench, figure: "remote fire-and-forget put (until the host has all) vs raw publish (until a subscriber has all)", value: ffRate, unit: "msgs/s", baseline: rawPubRate, target: "ratio >= 0.8" });
    // Not a target: how much of the gap is one socket write per message rather than PTS's own work.
    figure({ bench, figure: "remote fire-and-forget put vs raw publish awaiting each message (one write per message)", value: ffRate, unit: "msgs/s", baseline: rawPubAwaitRate, target: null });

    // ---- get(ts) latency, 1 in flight ------------------------------------------------------
    const getLat: number[] = [];
    const rawLat: number[] = [];
    let k = 0;
    await interleaved([
      { name: "remote get(ts)", run: (ms) => loop(() => getCh.get(getTs0 + 1 + (k++ % GET_ITEMS)), ms, 1, getLat) },
      { name: "raw request/reply", run: (ms) => loop(() => nc.request(RAW.get, getRequest, { timeout: 5000 }), ms, 1, rawLat) },
    ], SLICES, SLICE_MS, say);
    getLat.sort((a, b) => a - b);
    rawLat.sort((a, b) => a - b);
    const us = (x: number) => x * 1000;
    figure({ bench, figure: "remote get(ts) latency p50 vs raw request/reply", value: us(percentile(getLat, 0.5)), unit: "µs", baseline: us(percentile(rawLat, 0.5)), target: "ratio <= 1.3" });
    figure({ bench, figure: "remote get(ts) latency p99 vs raw request/reply", value: us(percentile(getLat, 0.99)), unit: "µs", baseline: us(percentile(rawLat, 0.99)), target: null });

    // ---- durable put, 64 producers, vs JetStream file storage -----------------------------
    say("creating the JetStream file stream");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "BENCH", subjects: ["bench.js.>"], storage: StorageType.File });
    const js = jetstream(nc);
    const durable: Channel<Reading> = await rt.lookup<Reading>("durable");
    await loop(() => durable.put(reading(++seq), ++ts), 200, PRODUCERS); // warm-up
    await loop(() => js.publish("bench.js.readings", frame), 200, PRODUCERS);
    const [durableRate, jsRate] = await interleaved(
      [
        { name: `durable remote put, ${PRODUCERS} producers`, run: (ms) => loop(() => durable.put(reading(++seq), ++ts), ms, PRODUCERS) },
        { name: `JetStream file publish, ${PRODUCERS} publishers`, run: (ms) => loop(() => js.publish("bench.js.readings", frame), ms, PRODUCERS) },
      ],
      SLICES,
      1000,
      say,
    );
    figure({ bench, figure: `durable remote put to a sync channel (fsync), ${PRODUCERS} producers, vs JetStream file-storage acked publish (no fsync)`, value: durableRate, unit: "msgs/s", baseline: jsRate, target: "ratio >= 1.5" });
  } finally {
    clearStatus();
    for (const c of cleanups) await c();
  }
}

if (process.argv[2] === "responder") await responder(process.argv[3], process.argv[4]);
else await main();
