/**
 * The child process of the LRVM crash tests: commits the transactions of crash-pattern.ts until
 * its parent SIGKILLs it, and tells the parent what it may rely on.
 *
 * It loads, prints `R`, and waits for one line of JSON config (a ChildConfig) on stdin, so
 * that a parent can start it ahead of time and pay the start-up cost while another child runs.
 * It then prints `B`, opens the Rvm (recovery), reads back the last transaction k0 that the
 * image holds, prints `O k0 ms`, and runs `workers` committers that commit k0+1, k0+2, …,
 * plus optional loops of `rvm.flush()` and `rvm.truncate()`.
 *
 * Every line is written with a synchronous write, before the committer goes on, so a line the
 * parent reads is a promise that resolved. The protocol (one line each):
 *   R | B | O k0 openMs | F k (flush commit k resolved) | L k (no-flush commit k resolved; these
 *   go out in batches of up to LAZY_ACK_BATCH, before any other line)
 *   | S k (rvm.flush() resolved; it was called after commit k) | T+ | T- ms (explicit truncate)
 *   | X why (a broken promise seen in the child) | E error (an unexpected throw; exits 1)
 *
 *   node --import tsx test/runtime/lrvm/crash-child.ts   (then write a ChildConfig line)
 */
import fs from "node:fs";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { type ChildConfig, LAZY_ACK_BATCH, SEG_A, SEG_B, SIZE_A, SIZE_B, fillRange, headerK, mix32, prng, txRanges, writeHeader } from "./crash-pattern.ts";

/** No-flush acks wait in here, at most LAZY_ACK_BATCH of them, and go out before any other line. */
let lazyAcks = "";
let lazyCount = 0;

function say(line: string): void {
  if (lazyCount > 0) flushLazyAcks();
  write(line + "\n");
}

function sayLazy(k: number): void {
  lazyAcks += `L ${k}\n`;
  if (++lazyCount >= LAZY_ACK_BATCH) flushLazyAcks();
}

function flushLazyAcks(): void {
  const text = lazyAcks;
  lazyAcks = "";
  lazyCount = 0;
  write(text);
}

function write(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}

function fail(err: unknown): never {
  say(`E ${err instanceof Error ? `${err.name} ${(err as { code?: unknown }).code ?? ""} ${err.message}` : String(err)}`.replace(/\n/g, " "));
  process.exit(1);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readConfig(): Promise<ChildConfig> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const nl = text.indexOf("\n");
      if (nl < 0) return;
      process.stdin.off("data", onData);
      resolve(JSON.parse(text.slice(0, nl)) as ChildConfig);
    };
    process.stdin.on("data", onData);
    // The parent is gone: nobody will kill us, so leave.
    process.stdin.on("end", () => process.exit(2));
  });
}

async function main(): Promise<void> {
  say("R");
  const cfg = await readConfig();
  setTimeout(() => fail(new Error(`still running after ${cfg.maxMs} ms; the parent should have killed this child`)), cfg.maxMs);
  const seed = cfg.seed;

  say("B");
  const t0 = performance.now();
  const rvm = await Rvm.open(cfg.dir, { truncateThreshold: cfg.truncateThreshold });
  const a = await rvm.map(SEG_A, SIZE_A);
  const b = await rvm.map(SEG_B, SIZE_B);
  const k0 = headerK(a.data, seed);
  say(`O ${k0} ${(performance.now() - t0).toFixed(2)}`);
  if (k0 < 0) fail(new Error("the recovered header is torn"));

  const rand = prng(mix32(seed ^ cfg.salt));
  let issued = k0;

  // begin → setRange → write → commit runs without an await, so commits enter the log in k order.
  function commitNext(): Promise<void> {
    const k = ++issued;
    const ranges = txRanges(seed, k, cfg.bulk);
    const tx = rvm.begin({ restore: rand() < 0.5 });
    for (const r of ranges) tx.setRange(r.seg === 0 ? a : b, r.offset, r.length);
    for (const r of ranges) if (r.fill) fillRange(r.seg === 0 ? a.data : b.data, r);
    writeHeader(a.data, seed, k);
    const flush = rand() < cfg.pFlush;
    // A write per no-flush ack was a quarter of the child's time: those acks promise nothing
    // and go out in batches; flush acks go out at once.
    return tx.commit({ flush }).then(() => (flush ? say(`F ${k}`) : sayLazy(k)));
  }

  // An aborted transaction scribbles over a range and must leave it exactly as it was.
  function abortOne(): void {
    const r = txRanges(seed, issued + 1)[0];
    const seg = r.seg === 0 ? a : b;
    const before = Buffer.from(seg.data.subarray(r.offset, r.offset + r.length));
    const tx = rvm.begin({ restore: true });
    tx.setRange(seg, r.offset, r.length);
    seg.data.fill(0xa5, r.offset, r.offset + r.length);
    tx.abort();
    if (!before.equals(seg.data.subarray(r.offset, r.offset + r.length))) {
      say(`X abort did not restore ${r.seg === 0 ? SEG_A : SEG_B}[${r.offset}, +${r.length}) before tx ${issued + 1}`);
    }
  }

  async function committer(): Promise<void> {
    for (;;) {
      if (rand() < cfg.pAbort) abortOne();
      await commitNext();
      // No-flush commits may resolve at once; yield now and then so timers and I/O run.
      if (rand() < 0.125) {
        if (lazyCount > 0) flushLazyAcks();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  async function flusher(every: number): Promise<void> {
    for (;;) {
      await sleep(every);
      const upTo = issued;
      await rvm.flush();
      say(`S ${upTo}`);
    }
  }

  async function truncator(every: number): Promise<void> {
    for (;;) {
      await sleep(every);
      say("T+");
      const t = performance.now();
      await rvm.truncate();
      say(`T- ${(performance.now() - t).toFixed(2)}`);
    }
  }

  const loops: Promise<void>[] = [];
  for (let i = 0; i < cfg.workers; i++) loops.push(committer());
  if (cfg.flushEveryMs > 0) loops.push(flusher(cfg.flushEveryMs));
  if (cfg.truncateEveryMs > 0) loops.push(truncator(cfg.truncateEveryMs));
  await Promise.all(loops);
}

main().catch(fail);
