/**
 * The child process of the persistent-channel crash tests: puts the pattern of crash-harness.ts
 * into a persistent channel, or runs a stage, or only opens a data directory, until its parent
 * SIGKILLs it; it tells the parent (crash-harness.ts, "the protocol") what it may rely on.
 *
 * It loads, prints `R` and waits for one line of JSON config (a ChildConfig), so the parent can
 * start it ahead of time. Then, by `mode`:
 * - sync: `workers` putters put 1, 2, 3 … concurrently and print `A k` as each put resolves.
 * - checkpoint: bursts of puts (`P k` each), then one of: a pause, waiting until nothing is
 *   pending (`D k`: a checkpoint holding puts 1..k completed), or rt.stop() and a reopen (`D k`).
 * - stage: `get()` from the input with a named consumer, `rt.commitStep()` of f(value) into the
 *   output (`C ts`), until the last input item (`Z`, exits 0).
 * - open: opens every stored channel (`O ms`) and waits to be killed.
 *
 *   node --import tsx test/channels/persistence/crash-child.ts   (then write a ChildConfig line)
 */
import { createInterface } from "node:readline";
import { type Channel, Runtime } from "../../../channels/index.ts";
import { prng, mix32 } from "../../runtime/lrvm/crash-pattern.ts";
import {
  CHECKPOINT_CHANNEL, type ChildConfig, STAGE_CONSUMER, STAGE_IN, STAGE_ITEMS, STAGE_OUT, SYNC_CHANNEL, type StageOutput, type StageValue,
  putTs, say, stageInput, stageOutput, stageTs, valueFor,
} from "./crash-harness.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function fail(err: unknown): never {
  say(`E ${err instanceof Error ? `${err.name} ${err.message} ${err.stack ?? ""}` : String(err)}`.replace(/\n/g, " | "));
  process.exit(1);
}

function readConfig(): Promise<ChildConfig> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once("line", (line) => resolve(JSON.parse(line) as ChildConfig));
    // The parent is gone: nobody will kill us, so leave.
    lines.once("close", () => process.exit(2));
  });
}

async function start(cfg: ChildConfig): Promise<Runtime> {
  return Runtime.start({ dataDir: cfg.dir, onError: (err) => say(`W ${String(err)}`.replace(/\n/g, " | ")) });
}

async function putSync(cfg: ChildConfig, t0: number): Promise<void> {
  const rt = await start(cfg);
  const ch = await rt.channel<Uint8Array>(SYNC_CHANNEL, { persist: { mode: "sync" }, codec: "binary", retain: { count: cfg.retain } });
  say(`O ${(performance.now() - t0).toFixed(1)}`);
  let issued = 0;
  const putter = async (): Promise<void> => {
    for (;;) {
      const k = ++issued;
      const ts = putTs(cfg.seed, cfg.run, k);
      await ch.put(valueFor(ts), ts);
      say(`A ${k}`);
    }
  };
  await Promise.all(Array.from({ length: cfg.workers }, putter));
}

async function putCheckpointed(cfg: ChildConfig, t0: number): Promise<void> {
  const rand = prng(mix32(cfg.seed ^ Math.imul(cfg.run, 0x27d4eb2d)));
  const open = async (): Promise<{ rt: Runtime; ch: Channel<Uint8Array> }> => {
    const rt = await start(cfg);
    const ch = await rt.channel<Uint8Array>(CHECKPOINT_CHANNEL, { persist: { mode: "checkpoint", everyMs: cfg.everyMs }, codec: "binary", retain: { count: cfg.retain } });
    return { rt, ch };
  };
  let { rt, ch } = await open();
  say(`O ${(performance.now() - t0).toFixed(1)}`);
  for (let k = 0; ; ) {
    const burst = 1 + Math.floor(rand() * rand() * 400);
    for (let i = 0; i < burst; i++) {
      const ts = putTs(cfg.seed, cfg.run, ++k);
      await ch.put(valueFor(ts), ts);
      say(`P ${k}`);
    }
    const x = rand();
    if (x < 0.04) {
      await rt.stop();
      say(`D ${k}`);
      ({ rt, ch } = await open());
    } else if (x < 0.3) {
      // Nothing pending: the checkpoint that took put k has committed.
      while ((ch.stats().stored?.pending ?? 0) > 0) await sleep(1);
      say(`D ${k}`);
    } else {
      await sleep(rand() * 2 * cfg.everyMs);
    }
  }
}

async function runStage(cfg: ChildConfig, t0: number): Promise<void> {
  const rt = await start(cfg);
  const input = await rt.lookup<StageValue>(STAGE_IN, { consumer: STAGE_CONSUMER, from: "oldest" });
  const output = await rt.channel<StageOutput>(STAGE_OUT, { persist: { mode: "sync" }, codec: "json" });
  say(`O ${(performance.now() - t0).toFixed(1)}`);
  const last = stageTs(STAGE_ITEMS);
  let prev = -1;
  for (;;) {
    const r = await input.get();
    if (r.ts <= prev || JSON.stringify(r.value) !== JSON.stringify(stageInput(r.value.k)) || stageTs(r.value.k) !== r.ts) {
      throw new Error(`the stage got ${JSON.stringify(r)} after ts ${prev}`);
    }
    prev = r.ts;
    await rt.commitStep({ input, taken: r, outputs: [{ channel: output, value: stageOutput(r.value), ts: r.ts }] });
    say(`C ${r.ts}`);
    if (r.ts === last) {
      say("Z");
      await rt.stop();
      process.exit(0);
    }
  }
}

async function openOnly(cfg: ChildConfig, t0: number): Promise<void> {
  const rt = await start(cfg);
  for (const name of await rt.storedChannels()) await rt.lookup(name);
  say(`O ${(performance.now() - t0).toFixed(1)}`);
  await new Promise<never>(() => {});
}

async function main(): Promise<void> {
  say("R");
  const cfg = await readConfig();
  setTimeout(() => fail(new Error(`still running after ${cfg.maxMs} ms; the parent should have killed this child`)), cfg.maxMs);
  say("B");
  const t0 = performance.now();
  if (cfg.mode === "sync") await putSync(cfg, t0);
  else if (cfg.mode === "checkpoint") await putCheckpointed(cfg, t0);
  else if (cfg.mode === "stage") await runStage(cfg, t0);
  else await openOnly(cfg, t0);
}

main().catch(fail);
