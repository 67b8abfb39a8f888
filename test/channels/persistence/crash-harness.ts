/**
 * The persistent-channel crash harness: the item pattern that children put and the parent
 * checks, the child processes (crash-child.ts) and the checks run on what a SIGKILL left.
 * Used by crash_test.ts.
 *
 * ```ts
 * const child = await starter(root);        // bundles crash-child.ts once (esbuild), or tsx
 * const c = child(); await c.ready; c.send(config); ... c.proc.kill("SIGKILL");
 * const items = await verifyPuts(copyOfDir, "sync", expectation, problems);
 * ```
 *
 * THE PATTERN. Put k (k = 1, 2, …) of run r of a lane has timestamp `putTs(seed, r, k)` and
 * value `valueFor(ts)`: a Buffer of 0 B to 64 KiB whose bytes all derive from ts. Within each
 * block of four puts the order of the timestamps is sometimes reversed, so some puts arrive
 * out of order. Any item read back decodes to (r, k) or is a phantom, and its bytes either
 * equal valueFor(ts) or it is torn: nothing has to be remembered but which k were acknowledged.
 *
 * The stage pattern: input item k has ts `stageTs(k)` and value `{ k, h }`; the stage writes
 * `stageOutput(value)` at the same ts into the output channel.
 *
 * The protocol, one line each, written by the child with a synchronous write before it goes
 * on, so a line the parent reads is a promise that resolved:
 *   R (loaded, waiting for the config line) | B (opening) | O ms (opened)
 *   | A k (sync put k resolved) | P k (checkpoint-mode put k resolved)
 *   | D k (checkpoint mode: puts 1..k are durable: pending was 0, or rt.stop() resolved)
 *   | C ts (stage: commitStep for input ts resolved) | Z (stage: the last input committed)
 *   | W text (an error the runtime reported) | E text (an unexpected throw; exits 1)
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Channel, Runtime } from "../../../channels/index.ts";
import { mix32 } from "../../runtime/lrvm/crash-pattern.ts";

export const SYNC_CHANNEL = "sync channel.a";
export const CHECKPOINT_CHANNEL = "checkpoint channel.b";
export const STAGE_IN = "stage in";
export const STAGE_OUT = "stage out";
export const STAGE_CONSUMER = "stage";
export const STAGE_ITEMS = 10_000;

const BASE_TS = 1_700_000_000_000_000;
/** µs between runs: each run's timestamps lie in their own span. */
const RUN_SPAN = 10_000_000_000;
const SLOT = 1000;

export type PutMode = "sync" | "checkpoint";
export type ChildMode = PutMode | "stage" | "open";

export type ChildConfig = {
  mode: ChildMode;
  dir: string;
  seed: number;
  run: number;
  /** Concurrent putters (sync mode). */
  workers: number;
  /** persist.everyMs (checkpoint mode). */
  everyMs: number;
  /** retain.count of the live window. */
  retain: number;
  /** The child exits with an error when still alive after this long. */
  maxMs: number;
};

export const channelOf = (mode: PutMode): string => (mode === "sync" ? SYNC_CHANNEL : CHECKPOINT_CHANNEL);

/** The slot of put k: within a block of four, some blocks are reversed. An involution. */
function slotOf(seed: number, k: number): number {
  const block = Math.floor((k - 1) / 4);
  if (mix32(seed ^ Math.imul(block + 1, 0x9e3779b1)) % 3 !== 0) return k;
  return 4 * block + 4 - ((k - 1) % 4);
}

const jitter = (seed: number, slot: number): number => mix32(seed ^ Math.imul(slot, 0x85ebca6b) ^ 0x1b873593) % SLOT;

export function putTs(seed: number, run: number, k: number): number {
  const slot = slotOf(seed, k);
  return BASE_TS + run * RUN_SPAN + slot * SLOT + jitter(seed, slot);
}

/** The (run, k) whose put has this ts, or undefined when no put has it. */
export function decodeTs(seed: number, ts: number): { run: number; k: number } | undefined {
  const off = ts - BASE_TS;
  if (!Number.isSafeInteger(off) || off < 0) return undefined;
  const run = Math.floor(off / RUN_SPAN);
  const slot = Math.floor((off % RUN_SPAN) / SLOT);
  if (slot < 1 || off % SLOT !== jitter(seed, slot)) return undefined;
  return { run, k: slotOf(seed, slot) };
}

function hashTs(ts: number): number {
  return mix32((ts % 2 ** 32) ^ mix32(Math.floor(ts / 2 ** 32)));
}

/** The value of the item at ts: 0 B to 64 KiB, mostly small, every byte derived from ts. */
export function valueFor(ts: number): Buffer {
  const h = hashTs(ts);
  const c = h % 100;
  const r = h >>> 7;
  const length = c < 3 ? 0 : c < 50 ? 1 + (r % 64) : c < 80 ? 65 + (r % 4032) : c < 95 ? 4097 + (r % 28672) : 32769 + (r % 32768);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = mix32(h + i);
  return Buffer.from(words.buffer, 0, length);
}

export type StageValue = { k: number; h: number };
export type StageOutput = { k: number; g: number; by: string };

export function stageTs(k: number): number {
  return BASE_TS + k * SLOT + (mix32(k) % SLOT);
}

export function stageInput(k: number): StageValue {
  return { k, h: mix32(k ^ 0x2545f491) };
}

export function stageOutput(v: StageValue): StageOutput {
  return { k: v.k, g: mix32(v.h ^ 0x5f3759df), by: STAGE_CONSUMER };
}

// ---------------------------------------------------------------------------------------
// Children

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type Child = {
  proc: ChildProcess;
  /** Resolves when the child has loaded (or died). */
  ready: Promise<void>;
  exit: Promise<Exit>;
  onLine: (tag: string, arg: string) => void;
  send: (config: ChildConfig) => void;
  stderr: () => string;
};

const here = path.dirname(fileURLToPath(import.meta.url));
const childSource = path.join(here, "crash-child.ts");

/**
 * Returns a function that starts a child. The child is bundled into `dir` with esbuild (which
 * tsx brings) when it can be: a bundle starts in ~0.2 s, tsx in ~0.5 s.
 */
export async function starter(dir: string): Promise<() => Child> {
  let args = ["--import", "tsx", childSource];
  try {
    const esbuild = await import("esbuild");
    const outfile = path.join(dir, "persist-crash-child.mjs");
    await esbuild.build({
      entryPoints: [childSource], outfile, bundle: true, platform: "node", format: "esm", target: "node20", external: ["esbuild"], logLevel: "silent",
      // CommonJS dependencies (the NATS client) require() Node's built-ins from inside the ESM bundle.
      banner: { js: 'import { createRequire as __ptsRequire } from "node:module"; const require = __ptsRequire(import.meta.url);' },
    });
    args = [outfile];
  } catch {
    // tsx runs the same sources, only slower to start.
  }
  const cwd = path.resolve(here, "../../..");
  return () => launch(args, cwd);
}

function launch(args: string[], cwd: string): Child {
  const proc = spawn(process.execPath, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  let loaded: () => void = () => {};
  const child: Child = {
    proc,
    ready: new Promise<void>((resolve) => (loaded = resolve)),
    exit: new Promise<Exit>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal }))),
    onLine: () => {},
    send: (config) => proc.stdin?.write(`${JSON.stringify(config)}\n`),
    stderr: () => err,
  };
  proc.on("close", () => loaded());
  proc.stdin?.on("error", () => {});
  proc.stderr?.on("data", (b: Buffer) => (err = (err + b.toString("utf8")).slice(-4000)));
  if (proc.stdout) {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const space = line.indexOf(" ");
      const tag = space < 0 ? line : line.slice(0, space);
      if (tag === "R") loaded();
      else child.onLine(tag, space < 0 ? "" : line.slice(space + 1));
    });
  }
  return child;
}

/** A synchronous write of one protocol line to stdout (a pipe, which may say EAGAIN). */
export function say(line: string): void {
  const buf = Buffer.from(`${line}\n`);
  for (let off = 0; off < buf.length; ) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Checks

/** What must hold for the puts of one lane directory. */
export type PutExpectation = {
  seed: number;
  /** Items of finished runs, as the last check found them: they must still be exactly there. */
  before: ReadonlySet<number>;
  /** The run just killed. */
  run: number;
  /** sync: every k whose put resolved. */
  acked: ReadonlySet<number>;
  /** No k above this can have been put (resolved puts plus those in flight). */
  maxK: number;
  /** checkpoint: puts 1..durable were acknowledged durable. */
  durable: number;
  retain: number;
};

export type Problems = string[];

const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 16)).toString("hex");

/**
 * Reopens `dir` (the caller passes a copy) and checks the channel of `mode` against `e`.
 * Appends what is wrong to `problems`; returns the timestamps found.
 */
export async function verifyPuts(dir: string, mode: PutMode, e: PutExpectation, problems: Problems): Promise<Set<number>> {
  const reported: string[] = [];
  const rt = await Runtime.start({ dataDir: dir, onError: (err) => reported.push(String(err)) });
  const found = new Set<number>();
  try {
    const ch = await rt.channel<Uint8Array>(channelOf(mode), { persist: { mode }, codec: "binary", retain: { count: e.retain } });
    const all = await ch.get("oldest", "newest");
    const ofRun: number[] = [];
    for (const [i, item] of all.entries()) {
      found.add(item.ts);
      if (i > 0 && item.ts <= all[i - 1].ts) problems.push(`order: item ${i} has ts ${item.ts} after ${all[i - 1].ts}`);
      const id = decodeTs(e.seed, item.ts);
      if (!id || id.run > e.run) {
        problems.push(`phantom: ts ${item.ts} was never put`);
        continue;
      }
      const want = valueFor(item.ts);
      if (!want.equals(item.value)) problems.push(`torn: ts ${item.ts} (run ${id.run} put ${id.k}) holds ${item.value.byteLength} B ${hex(item.value)}…, want ${want.byteLength} B ${hex(want)}…`);
      if (id.run < e.run && !e.before.has(item.ts)) problems.push(`phantom: ts ${item.ts} of the earlier run ${id.run} appeared after a later crash`);
      if (id.run === e.run) {
        ofRun.push(id.k);
        if (id.k > e.maxK) problems.push(`phantom: put ${id.k} of run ${e.run} is present, but at most ${e.maxK} puts were made`);
      }
    }
    for (const ts of e.before) if (!found.has(ts)) problems.push(`lost: ts ${ts}, present at the last check, is gone`);
    if (mode === "sync") {
      for (const k of e.acked) if (!found.has(putTs(e.seed, e.run, k))) problems.push(`lost: sync put ${k} of run ${e.run} (ts ${putTs(e.seed, e.run, k)}) resolved but is not there`);
    } else {
      // The surviving puts of the run must be exactly 1..K: a prefix in put order.
      ofRun.sort((a, b) => a - b);
      const K = ofRun.length;
      if (K > 0 && ofRun[K - 1] !== K) problems.push(`not a prefix: run ${e.run} kept ${K} puts, but the highest is put ${ofRun[K - 1]} (missing ${firstGap(ofRun)})`);
      if (K < e.durable) problems.push(`lost: run ${e.run} kept puts 1..${K}, but puts 1..${e.durable} had been checkpointed`);
    }
    await crossCheck(ch, all, problems);
    const stats = ch.stats().stored;
    if (!stats || stats.items !== all.length || stats.corrupt !== 0) problems.push(`stats: ${JSON.stringify(stats)} for ${all.length} items read`);
  } finally {
    await rt.stop();
  }
  for (const r of reported) if (!/recovered: \d+ uncommitted bytes/.test(r)) problems.push(`reported: ${r}`);
  return found;
}

function firstGap(sorted: readonly number[]): number {
  let k = 1;
  for (const x of sorted) {
    if (x !== k) return k;
    k++;
  }
  return k;
}

function same(a: { ts: number; value: unknown } | undefined, b: { ts: number; value: unknown }): boolean {
  if (a === undefined || a.ts !== b.ts) return false;
  if (a.value instanceof Uint8Array && b.value instanceof Uint8Array) return Buffer.from(a.value.buffer, a.value.byteOffset, a.value.byteLength).equals(b.value);
  return JSON.stringify(a.value) === JSON.stringify(b.value);
}

/** get(ts), next(), items(), get("oldest"/"newest") and get(lo, hi) must agree with `all`. */
export async function crossCheck<T>(ch: Channel<T>, all: readonly { ts: number; value: T }[], problems: Problems): Promise<void> {
  const before = problems.length;
  const note = (what: string) => {
    if (problems.length - before < 5) problems.push(what);
  };
  const n = all.length;
  if (n === 0) {
    if ((await ch.get("newest")) !== undefined || (await ch.get("oldest")) !== undefined) note("get(newest/oldest) found an item in an empty channel");
    return;
  }
  if (!same(await ch.get("oldest"), all[0])) note(`get("oldest") is not ts ${all[0].ts}`);
  if (!same(await ch.get("newest"), all[n - 1])) note(`get("newest") is not ts ${all[n - 1].ts}`);
  if (!same(await ch.next(all[0].ts - 1), all[0])) note(`next(${all[0].ts - 1}) is not ts ${all[0].ts}`);
  // Point reads on up to ~400 items spread over the channel (and its two ends); the scans
  // below read every item.
  const step = Math.max(1, Math.floor(n / 400));
  const picks = new Set<number>([n - 1]);
  for (let i = 0; i < n; i += step) picks.add(i);
  for (const i of picks) {
    if (!same(await ch.get(all[i].ts), all[i])) note(`get(${all[i].ts}) disagrees with get(oldest, newest)`);
    // The last item has no next: next() would wait for a put.
    if (i + 1 < n && !same(await ch.next(all[i].ts), all[i + 1])) note(`next(${all[i].ts}) is not ts ${all[i + 1].ts}`);
    if (await ch.get(all[i].ts + 1).then((x) => x !== undefined && (i + 1 >= n || x.ts !== all[i + 1].ts))) note(`get(${all[i].ts + 1}) found an item no put made`);
  }
  let i = 0;
  for await (const item of ch.items({ from: "oldest" })) {
    if (!same(item, all[i])) {
      note(`items() gave ts ${item.ts} at position ${i}, want ${all[i]?.ts}`);
      break;
    }
    i++;
  }
  if (i !== n) note(`items() gave ${i} items, get(oldest, newest) ${n}`);
  for (const [lo, hi] of [[0, n - 1], [Math.floor(n / 3), Math.floor((2 * n) / 3)], [n - 1, n - 1]]) {
    const got = await ch.get(all[lo].ts, all[hi].ts);
    if (got.length !== hi - lo + 1 || got.some((x, j) => !same(x, all[lo + j]))) note(`get(${all[lo].ts}, ${all[hi].ts}) is not items ${lo}..${hi}`);
  }
}

/** Copies `dir` to `scratch` (replacing it), for checks that must leave `dir` as the kill left it. */
export function copyDir(dir: string, scratch: string): void {
  fs.rmSync(scratch, { recursive: true, force: true });
  // A child killed before Runtime.start made its directory left nothing.
  if (fs.existsSync(dir)) fs.cpSync(dir, scratch, { recursive: true });
  else fs.mkdirSync(scratch, { recursive: true });
}

// ---------------------------------------------------------------------------------------
// Driving one child to its kill

/** When the kill comes: ms after the child starts opening or after it opened, or after n acknowledgements. */
export type KillPlan = { after: "B" | "O"; ms: number } | { acks: number } | { none: true };

export type Run = {
  exit: Exit;
  /** Where the kill landed: before the child opened its channels, after, or no kill. */
  killedIn: "open" | "run" | null;
  overdue: boolean;
  openMs: number;
  ranMs: number;
  /** Lines the child wrote that the plan does not consume: W and E lines, and anything else. */
  said: string[];
  stderr: string;
};

const OVERDUE_MS = 60_000;

/**
 * Sends `config` to `child`, kills it by `plan`, and passes each acknowledgement line
 * (A, P, D, C, Z) to `onAck`; an ack counts towards `plan.acks` when onAck returns true.
 */
export async function drive(child: Child, config: ChildConfig, plan: KillPlan, onAck: (tag: string, n: number) => boolean): Promise<Run> {
  await child.ready;
  const run: Run = { exit: { code: null, signal: null }, killedIn: null, overdue: false, openMs: 0, ranMs: 0, said: [], stderr: "" };
  let opened = false;
  let openedAt = 0;
  let acks = 0;
  const timers: NodeJS.Timeout[] = [];
  const kill = () => {
    if (run.killedIn !== null) return;
    run.killedIn = opened ? "run" : "open";
    child.proc.kill("SIGKILL");
  };
  const killIn = (ms: number) => timers.push(setTimeout(kill, ms));
  timers.push(setTimeout(() => ((run.overdue = run.killedIn === null), kill()), OVERDUE_MS));
  child.onLine = (tag, arg) => {
    if (tag === "B") {
      if ("after" in plan && plan.after === "B") killIn(plan.ms);
    } else if (tag === "O") {
      if (opened) return;
      opened = true;
      openedAt = performance.now();
      run.openMs = Number(arg);
      if ("after" in plan && plan.after === "O") killIn(plan.ms);
    } else if (["A", "P", "D", "C", "Z"].includes(tag)) {
      if (onAck(tag, Number(arg)) && "acks" in plan && ++acks >= plan.acks) kill();
    } else {
      run.said.push(`${tag} ${arg}`);
    }
  };
  child.send(config);
  run.exit = await child.exit;
  run.stderr = child.stderr();
  for (const t of timers) clearTimeout(t);
  if (opened) run.ranMs = performance.now() - openedAt;
  return run;
}

/** What a run did wrong by itself: ended other than by our kill, or wrote an error line. */
export function runProblems(run: Run, expectExit = false): string[] {
  const problems: string[] = [];
  const text = () => [...run.said, run.stderr].join(" | ").slice(0, 2000);
  if (run.overdue) problems.push(`the child was not killed by its plan within ${OVERDUE_MS} ms: ${text()}`);
  else if (run.killedIn === null && !(expectExit && run.exit.code === 0)) problems.push(`the child ended by itself (code ${run.exit.code}, signal ${run.exit.signal}): ${text()}`);
  for (const line of run.said) if (!/^W .*recovered: \d+ uncommitted bytes/.test(line)) problems.push(`the child said: ${line.slice(0, 1000)}`);
  return problems;
}

// ---------------------------------------------------------------------------------------
// Lanes: a directory that lives through many crash points

export type LaneResult = {
  points: number;
  killedInOpen: number;
  killedInRun: number;
  problems: string[];
  /** Items found and checked after kills, summed over points. */
  itemsChecked: number;
  /** Acknowledged puts (sync) or checkpointed puts (checkpoint) that had to be there, summed. */
  ackedChecked: number;
  /** Points whose child recovered a directory a kill had left. */
  reopenedAfterKill: number;
};

export const newLaneResult = (): LaneResult => ({ points: 0, killedInOpen: 0, killedInRun: 0, problems: [], itemsChecked: 0, ackedChecked: 0, reopenedAfterKill: 0 });

export type LaneOptions = { seed: number; root: string; points: number; child: () => Child; rand: () => number; trace?: (line: string) => void };

function count(result: LaneResult, run: Run): void {
  // A kill that came after the child had exited by itself is no crash point.
  if (run.exit.signal !== "SIGKILL") return;
  result.points++;
  if (run.killedIn === "open") result.killedInOpen++;
  else if (run.killedIn === "run") result.killedInRun++;
}

/** A kill after n acks, a time after opening, or a moment while opening. */
function killPlan(rand: () => number, openMs: number, maxAcks: number): KillPlan {
  const x = rand();
  if (x < 0.15) return { after: "B", ms: rand() * 1.2 * openMs };
  if (x < 0.55) return { acks: 1 + Math.floor(rand() ** 2 * maxAcks) };
  return { after: "O", ms: rand() * 600 };
}

/**
 * Sync or checkpoint points: each point runs one child on the lane's directory (what the last
 * kill left, unrecovered), kills it, and checks a copy. A fresh directory every `freshEvery`
 * points keeps the checks short.
 */
export async function runPutLane(mode: PutMode, o: LaneOptions & { freshEvery: number }): Promise<LaneResult> {
  const result = newLaneResult();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(o.rand() * xs.length)];
  let dir = "";
  let before = new Set<number>();
  let openMs = 50;
  for (let point = 0; point < o.points; point++) {
    if (point % o.freshEvery === 0) {
      dir = path.join(o.root, `${mode}-${point}`);
      before = new Set();
    } else result.reopenedAfterKill++;
    const config: ChildConfig = { mode, dir, seed: o.seed, run: point, workers: pick([1, 4, 16, 64]), everyMs: pick([20, 35, 50]), retain: pick([8, 256, 10_000]), maxMs: OVERDUE_MS };
    const plan = killPlan(o.rand, openMs, mode === "sync" ? 600 : 3000);
    const acked = new Set<number>();
    let maxK = 0;
    let durable = 0;
    const run = await drive(o.child(), config, plan, (tag, k) => {
      if (tag === "A") acked.add(k);
      if (tag === "P") maxK = Math.max(maxK, k);
      if (tag === "D") durable = Math.max(durable, k);
      return tag === "A" || tag === "P";
    });
    count(result, run);
    if (run.openMs > 0) openMs = run.openMs;
    const problems = runProblems(run);
    // Sync: a put in flight per putter past those that resolved. Checkpoint: puts are numbered
    // in order and each is reported before a checkpoint can take the next one.
    const bound = mode === "sync" ? acked.size + config.workers : maxK + 1;
    const scratch = `${dir}.check`;
    copyDir(dir, scratch);
    try {
      const e: PutExpectation = { seed: o.seed, before, run: point, acked, maxK: bound, durable, retain: pick([4, 100, 10_000]) };
      const found = await verifyPuts(scratch, mode, e, problems);
      result.itemsChecked += found.size;
      result.ackedChecked += mode === "sync" ? acked.size : durable;
      before = found;
    } catch (err) {
      problems.push(`reopening what the kill left threw: ${err instanceof Error ? err.stack : String(err)}`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    o.trace?.(`${mode} point ${point}: ${JSON.stringify(plan)} workers ${config.workers} killed in ${run.killedIn} after ${run.ranMs.toFixed(0)} ms; acked ${acked.size} put ${maxK} durable ${durable}; found ${before.size}`);
    if (problems.length > 0) {
      result.problems.push(...problems.map((p) => `seed ${o.seed} ${mode} point ${point} (${JSON.stringify(plan)}, killed in ${run.killedIn}): ${p}`));
      // The directory no longer matches what is known of it: go on with a fresh one.
      if (problems.some((p) => !p.startsWith("the child said: W "))) {
        dir = path.join(o.root, `${mode}-${point}-fresh`);
        before = new Set();
      }
    }
  }
  return result;
}

/**
 * Kills while opening: a sync child fills a directory with thousands of items and is killed
 * mid-stream (so the directory holds a torn tail and an untruncated log); then children that
 * only open it are killed at random moments of their open. After each kill a copy must hold
 * exactly the items the first check found.
 */
export async function runReopenLane(o: LaneOptions): Promise<LaneResult> {
  const result = newLaneResult();
  const dir = path.join(o.root, "reopen");
  const config: ChildConfig = { mode: "sync", dir, seed: o.seed, run: 0, workers: 64, everyMs: 0, retain: 10_000, maxMs: OVERDUE_MS };
  const acked = new Set<number>();
  const fill = await drive(o.child(), config, { acks: 4000 + Math.floor(o.rand() * 2000) }, (tag, k) => (acked.add(k), true));
  const fillProblems = runProblems(fill);
  const check = async (run: number, e: Omit<PutExpectation, "run" | "seed" | "retain">): Promise<Set<number>> => {
    const scratch = `${dir}.check`;
    copyDir(dir, scratch);
    try {
      return await verifyPuts(scratch, "sync", { ...e, run, seed: o.seed, retain: 10_000 }, fillProblems);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };
  const stored = await check(0, { before: new Set(), acked, maxK: acked.size + config.workers, durable: 0 });
  result.problems.push(...fillProblems.map((p) => `seed ${o.seed} reopen fill: ${p}`));
  let openMs = 200;
  for (let point = 1; point <= o.points; point++) {
    const plan: KillPlan = { after: "B", ms: o.rand() * 1.3 * openMs };
    const run = await drive(o.child(), { ...config, mode: "open", run: point }, plan, () => false);
    count(result, run);
    result.reopenedAfterKill++;
    if (run.openMs > 0) openMs = run.openMs;
    const problems = runProblems(run);
    try {
      // Nothing is put: exactly the items stored before must be there, every time.
      const found = await check(point, { before: stored, acked: new Set(), maxK: 0, durable: 0 });
      result.itemsChecked += found.size;
      result.ackedChecked += acked.size;
    } catch (err) {
      problems.push(`reopening what the kill left threw: ${err instanceof Error ? err.stack : String(err)}`);
    }
    o.trace?.(`reopen point ${point}: kill ${plan.ms.toFixed(0)} ms after B (open takes ~${openMs.toFixed(0)} ms): killed in ${run.killedIn}`);
    result.problems.push(...problems.map((p) => `seed ${o.seed} reopen point ${point} (${JSON.stringify(plan)}, killed in ${run.killedIn}): ${p}`));
  }
  return result;
}

export type StageResult = LaneResult & { runs: number; outputs: number; finished: boolean };

/**
 * The stage: fills the input with STAGE_ITEMS items, then runs stage children, killing them at
 * random moments (about `o.points` kills over the whole input), until one commits the last
 * input item. After every kill a copy is checked; at the end the directory itself.
 */
export async function runStageLane(o: LaneOptions): Promise<StageResult> {
  const result: StageResult = { ...newLaneResult(), runs: 0, outputs: 0, finished: false };
  const dir = path.join(o.root, "stage");
  const rt = await Runtime.start({ dataDir: dir });
  const input = await rt.channel<StageValue>(STAGE_IN, { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "json" });
  for (let k = 1; k <= STAGE_ITEMS; k++) await input.put(stageInput(k), stageTs(k));
  await rt.stop();

  let done = 0; // input items known committed
  let stepsPerMs = 0.1;
  let openMs = 100;
  for (let run = 0; run < 400 && !result.finished; run++) {
    const left = o.points - result.points;
    let plan: KillPlan = { none: true };
    if (left > 0) {
      // Spread the remaining kills over the remaining items.
      const meanMs = (STAGE_ITEMS - done) / stepsPerMs / left;
      plan = o.rand() < 0.12 ? { after: "B", ms: o.rand() * 1.2 * openMs } : { after: "O", ms: o.rand() * 2 * meanMs };
    }
    const config: ChildConfig = { mode: "stage", dir, seed: o.seed, run, workers: 1, everyMs: 0, retain: 10_000, maxMs: 300_000 };
    let acked = 0;
    let steps = 0;
    const r = await drive(o.child(), config, plan, (tag, ts) => {
      if (tag === "C") ((acked = Math.max(acked, ts)), steps++);
      if (tag === "Z") result.finished = true;
      return false;
    });
    result.runs++;
    count(result, r);
    if (r.openMs > 0) openMs = r.openMs;
    if (steps > 20 && r.ranMs > 0) stepsPerMs = steps / r.ranMs;
    const problems = runProblems(r, true);
    // The plan's kill may land between the stage saying Z and its exit: that is our SIGKILL, not a failure.
    if (result.finished && r.exit.code !== 0 && r.killedIn === null) problems.push(`the stage said Z but exited with code ${r.exit.code}`);
    let m = -1;
    if (!result.finished) {
      const scratch = `${dir}.check`;
      copyDir(dir, scratch);
      try {
        m = await verifyStage(scratch, acked, false, problems);
        result.itemsChecked += m;
        if (acked > 0) result.ackedChecked++;
      } catch (err) {
        problems.push(`reopening what the kill left threw: ${err instanceof Error ? err.stack : String(err)}`);
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
      if (m >= 0) done = m;
    }
    o.trace?.(`stage run ${run}: ${JSON.stringify(plan)} killed in ${r.killedIn} after ${steps} steps (${r.ranMs.toFixed(0)} ms); output holds ${m}`);
    result.problems.push(...problems.map((p) => `seed ${o.seed} stage run ${run} (${JSON.stringify(plan)}, killed in ${r.killedIn}): ${p}`));
    if (problems.length > 0 && r.killedIn === null) break;
  }
  const problems: string[] = [];
  if (!result.finished) problems.push("the stage never reached the last input item");
  try {
    result.outputs = await verifyStage(dir, stageTs(STAGE_ITEMS), true, problems);
  } catch (err) {
    problems.push(`reopening the finished stage threw: ${err instanceof Error ? err.stack : String(err)}`);
  }
  result.problems.push(...problems.map((p) => `seed ${o.seed} stage, at the end: ${p}`));
  return result;
}

/**
 * Checks a stage directory: the input is intact, and the output holds exactly f(input item i)
 * at the input's ts for items 1..m, in order, for one m: nothing missing, nothing twice; every
 * acknowledged step is in; the consumer's durable cursor sits right after item m. Returns m.
 */
export async function verifyStage(dir: string, ackedTs: number, final: boolean, problems: Problems): Promise<number> {
  const reported: string[] = [];
  const rt = await Runtime.start({ dataDir: dir, onError: (err) => reported.push(String(err)) });
  try {
    const input = await rt.lookup<StageValue>(STAGE_IN, { from: "oldest" });
    const ins = await input.get("oldest", "newest");
    const bad = ins.findIndex((x, i) => x.ts !== stageTs(i + 1) || JSON.stringify(x.value) !== JSON.stringify(stageInput(i + 1)));
    if (ins.length !== STAGE_ITEMS || bad >= 0) problems.push(`the input holds ${ins.length} items, item ${bad} wrong`);
    if (!(await rt.storedChannels()).includes(STAGE_OUT)) {
      if (ackedTs > 0 || final) problems.push(`no output channel, but steps up to ts ${ackedTs} were acknowledged`);
      return 0;
    }
    const output = await rt.lookup<StageOutput>(STAGE_OUT, { from: "oldest" });
    const outs = await output.get("oldest", "newest");
    const m = outs.length;
    let shown = 0;
    for (const [i, x] of outs.entries()) {
      const want = stageOutput(stageInput(i + 1));
      if ((x.ts !== stageTs(i + 1) || JSON.stringify(x.value) !== JSON.stringify(want)) && shown++ < 5) {
        problems.push(`output ${i} is ${JSON.stringify(x)}, want ${JSON.stringify({ ts: stageTs(i + 1), value: want })} (a gap or a repeat)`);
      }
    }
    if (ackedTs > 0 && (m === 0 || outs[m - 1].ts < ackedTs)) problems.push(`lost: the step for input ts ${ackedTs} was acknowledged, but the output ends at ${outs[m - 1]?.ts}`);
    if (m < STAGE_ITEMS) {
      const consumer = await rt.lookup<StageValue>(STAGE_IN, { consumer: STAGE_CONSUMER, from: "oldest" });
      const next = await consumer.get();
      if (next.ts !== stageTs(m + 1)) problems.push(`the durable cursor resumes at ts ${next.ts} (input ${next.value.k}), but the output holds inputs 1..${m}`);
    }
    if (final) {
      if (m !== STAGE_ITEMS) problems.push(`the output holds ${m} items, want ${STAGE_ITEMS}`);
      await crossCheck(output, outs, problems);
    }
    return m;
  } finally {
    await rt.stop();
    for (const r of reported) if (!/recovered: \d+ uncommitted bytes/.test(r)) problems.push(`reported: ${r}`);
  }
}
