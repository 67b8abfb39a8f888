/**
 * The LRVM crash harness: SIGKILLs real child processes (crash-child.ts) at random moments and
 * checks what a reopened Rvm recovers. Used by crash_test.ts (200 points in `npm test`) and by
 * bench/lrvm-crash.ts (`npm run crash:lrvm -- --points 2000`).
 *
 * ```ts
 * const result = await runCrashPoints({ points: 200, seed: 42 });
 * result.violations; // [] when every crash point recovered correctly
 * ```
 *
 * The model. Commits enter the log in the order they are called, so what a crash leaves must be
 * exactly the image after transactions 1..K for one K (crash-pattern.ts computes that image),
 * with:
 * - K >= every k whose flush commit resolved, and >= every k committed before an `rvm.flush()`
 *   that resolved: a flush makes every earlier commit durable, lazy ones included;
 * - K <= the last k the child can have committed: the largest k it reported, plus one in flight
 *   per committer and the no-flush acks it holds back (LAZY_ACK_BATCH);
 * - K >= the K recovered at the previous crash point of the same directory: recovery never
 *   goes back.
 * An image that is no such prefix has a transaction that is partly present (rule "atomic") or
 * one that is lost while a later one survived (rule "suffix").
 *
 * How the points are spread. Each lane is one directory that lives through many crash points:
 * a child recovers what the last one left, commits on from there and is killed. Two lanes run at
 * once. Each lane keeps a spare child that has already loaded, so a kill is followed at once by
 * the next run. Children start from a bundle of crash-child.ts (and the lrvm sources it
 * imports) made with esbuild, which tsx already brings: ~0.2 s to start instead of ~0.5 s
 * through tsx, which was most of the run time. Without esbuild they run through tsx. The state
 * a kill leaves is verified on a copy, so the next child still meets the raw log, and a kill
 * can land in its recovery. Every decision comes from a PRNG seeded by `seed` per lane; timing
 * still varies from run to run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { type ChildConfig, type Image, LAZY_ACK_BATCH, SEG_A, SEG_B, SIZE_A, SIZE_B, applyTx, fillRange, headerK, mix32, newImage, prng, txRanges } from "./crash-pattern.ts";

/** Where the child was when the kill was sent: opening (recovery), inside rvm.truncate(), or committing. */
export type Phase = "open" | "truncate" | "commit";
export type Rule = "durable" | "atomic" | "suffix" | "monotonic" | "phantom" | "reopen" | "child";
export type Violation = { rule: Rule; lane: number; point: number; message: string };

export type CrashOptions = {
  points: number;
  seed: number;
  lanes?: number;
  /** Parent folder of the lanes' directories; os.tmpdir() by default. Removed afterwards. */
  root?: string;
  onPoint?: (progress: CrashProgress) => void;
  /** Gets one line per point: its plan, where the kill landed, and how long each step took. */
  trace?: (line: string) => void;
};

export type CrashProgress = { done: number; points: number; passed: number; violations: number; phases: Record<Phase, number> };

export type CrashResult = CrashProgress & {
  seed: number;
  violationList: Violation[];
  /** Transactions found in recovered images, summed over points. */
  txsVerified: number;
  /** Transactions that had to be present (acknowledged durable), summed over points. */
  durableVerified: number;
  /** The largest log (bytes of the directory beyond the segments) a recovery started from. */
  maxLogBytes: number;
  seconds: number;
};

type Kill =
  | { kind: "open"; delayMs: number }
  | { kind: "acks"; n: number }
  | { kind: "time"; ms: number }
  | { kind: "truncate"; nth: number; delayMs: number };

type Observed = {
  opened: boolean;
  k0: number;
  openMs: number;
  maxAck: number;
  durable: number;
  acks: number;
  truncations: number;
  inTruncate: boolean;
  truncateMs: number;
  childSays: string[];
};

/**
 * The image after transactions 1..k, which transaction last wrote each byte, and from which k
 * on each run's transactions were bulk or not.
 */
type Model = Image & { k: number; writerA: Uint32Array; writerB: Uint32Array; runs: { from: number; bulk: boolean }[] };

type Lane = {
  index: number;
  dir: string;
  scratch: string;
  rand: () => number;
  model: Model;
  durable: number;
  logBytes: number;
  openMs: number;
  truncateMs: number;
  spare: Child | null;
};

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const childPath = path.join(here, "crash-child.ts");
const HUGE = 2 ** 40;
const OVERDUE_MS = 10_000;

export async function runCrashPoints(options: CrashOptions): Promise<CrashResult> {
  const started = performance.now();
  const laneCount = Math.max(1, options.lanes ?? 2);
  const root = fs.mkdtempSync(path.join(options.root ?? os.tmpdir(), "pts-lrvm-crash-"));
  const startChild = await childStarter(root);
  const result: CrashResult = {
    seed: options.seed, done: 0, points: options.points, passed: 0, violations: 0,
    phases: { open: 0, truncate: 0, commit: 0 }, violationList: [], txsVerified: 0, durableVerified: 0, maxLogBytes: 0, seconds: 0,
  };
  const lanes: Lane[] = [];
  try {
    const runs: Promise<void>[] = [];
    for (let i = 0; i < laneCount; i++) {
      const share = Math.floor(options.points / laneCount) + (i < options.points % laneCount ? 1 : 0);
      const lane = newLane(root, i, options.seed);
      lanes.push(lane);
      runs.push(runLane(lane, share, options, result, startChild));
    }
    await Promise.all(runs);
  } finally {
    for (const lane of lanes) lane.spare?.proc.kill("SIGKILL");
    fs.rmSync(root, { recursive: true, force: true });
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

function newLane(root: string, index: number, seed: number, generation = 0): Lane {
  const dir = path.join(root, `lane${index}-${generation}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    index, dir, scratch: `${dir}.verify`, rand: prng(mix32(seed + 0x1000 * (index + 1) + generation)), model: newModel(),
    durable: 0, logBytes: 0, openMs: 5, truncateMs: 5, spare: null,
  };
}

function newModel(): Model {
  return { ...newImage(), k: 0, writerA: new Uint32Array(SIZE_A), writerB: new Uint32Array(SIZE_B), runs: [] };
}

async function runLane(lane: Lane, share: number, options: CrashOptions, result: CrashResult, startChild: () => Child): Promise<void> {
  const seed = options.seed;
  for (let point = 0; point < share; point++) {
    const violations = await runPoint(lane, point, seed, result, startChild, options.trace);
    result.done++;
    if (violations.length === 0) result.passed++;
    else {
      result.violations += violations.length;
      result.violationList.push(...violations);
      // The lane's directory no longer matches its model: go on with a fresh one.
      const spare = lane.spare;
      Object.assign(lane, newLane(path.dirname(lane.dir), lane.index, seed, point + 1), { spare });
    }
    options.onPoint?.({ done: result.done, points: result.points, passed: result.passed, violations: result.violations, phases: { ...result.phases } });
  }
  lane.spare?.proc.kill("SIGKILL");
  lane.spare = null;
}

/** One crash point: configure a child, kill it by plan, verify what a reopen recovers. */
async function runPoint(lane: Lane, point: number, seed: number, result: CrashResult, startChild: () => Child, trace: CrashOptions["trace"]): Promise<Violation[]> {
  const { config, kill } = plan(lane, seed, point);
  const child = lane.spare ?? startChild();
  lane.spare = startChild();
  const t0 = performance.now();
  await child.ready;
  const t1 = performance.now();

  const obs: Observed = { opened: false, k0: -1, openMs: 0, maxAck: 0, durable: 0, acks: 0, truncations: 0, inTruncate: false, truncateMs: 0, childSays: [] };
  let phase: Phase | null = null;
  let overdue = false;
  const timers: NodeJS.Timeout[] = [];
  const killNow = () => {
    if (phase !== null) return;
    phase = !obs.opened ? "open" : obs.inTruncate ? "truncate" : "commit";
    child.proc.kill("SIGKILL");
  };
  const killAfter = (ms: number) => timers.push(setTimeout(killNow, ms));
  // Whatever the plan, no run outlives this; a run that needs it is a violation.
  timers.push(setTimeout(() => ((overdue = phase === null), killNow()), OVERDUE_MS));

  child.onLine = (line) => {
    const [tag, arg1, arg2] = line.split(" ");
    const k = Number(arg1);
    switch (tag) {
      case "B":
        if (kill.kind === "open") {
          if (kill.delayMs <= 0) killNow();
          else killAfter(kill.delayMs);
        }
        break;
      case "O":
        obs.opened = true;
        obs.k0 = k;
        obs.openMs = Number(arg2);
        obs.maxAck = Math.max(obs.maxAck, k);
        if (kill.kind === "time") killAfter(kill.ms);
        break;
      case "F":
      case "L":
        if (tag === "F") obs.durable = Math.max(obs.durable, k);
        obs.acks++;
        obs.maxAck = Math.max(obs.maxAck, k);
        if (kill.kind === "acks" && obs.acks >= kill.n) killNow();
        break;
      case "S":
        obs.durable = Math.max(obs.durable, k);
        break;
      case "T+":
        obs.truncations++;
        obs.inTruncate = true;
        if (kill.kind === "truncate" && obs.truncations === kill.nth) {
          if (kill.delayMs <= 0) killNow();
          else killAfter(kill.delayMs);
        }
        break;
      case "T-":
        obs.inTruncate = false;
        obs.truncateMs = Number(arg1);
        break;
      default:
        obs.childSays.push(line);
    }
  };
  child.send(config);
  const exit = await child.exited;
  const t2 = performance.now();
  for (const t of timers) clearTimeout(t);

  const violations: Violation[] = [];
  const v = (rule: Rule, message: string) =>
    violations.push({ rule, lane: lane.index, point, message: `seed ${seed} lane ${lane.index} point ${point} (${kill.kind}, killed in ${phase ?? "-"}): ${message}` });

  if (overdue) {
    v("child", `the kill plan did not fire within ${OVERDUE_MS} ms: ${[...obs.childSays, child.stderr.trim()].join(" | ").slice(0, 2000)}`);
  } else if (phase === null || exit.signal !== "SIGKILL") {
    v("child", `child ended by itself (code ${exit.code}, signal ${exit.signal}): ${[...obs.childSays, child.stderr.trim()].join(" | ").slice(0, 2000)}`);
  } else {
    result.phases[phase]++;
    for (const line of obs.childSays) v("child", `the child reported: ${line}`);
  }
  if (obs.opened && obs.k0 !== lane.model.k) {
    v("monotonic", `the child recovered k0=${obs.k0}, but the last verified state held k=${lane.model.k}`);
  }
  if (obs.truncateMs > 0) lane.truncateMs = obs.truncateMs;

  // Everything acknowledged durable by this run must be present from now on.
  lane.durable = Math.max(lane.durable, obs.durable);
  // Past the last ack: one commit in flight per committer, and the no-flush acks held back.
  const bound = obs.opened ? Math.max(obs.maxAck, lane.model.k) + config.workers + LAZY_ACK_BATCH : lane.model.k;
  if (obs.opened) lane.openMs = obs.openMs;
  const K = await verify(lane, bound, config.bulk, result, v);
  trace?.(
    `lane ${lane.index} point ${point}: ${JSON.stringify(kill)} workers ${config.workers} pFlush ${config.pFlush.toFixed(2)} threshold ${config.truncateThreshold} ` +
      `killed in ${phase ?? "-"}; k0 ${obs.k0} acks ${obs.acks} durable ${lane.durable} recovered ${K}; log ${lane.logBytes} B; ` +
      `waited ${(t1 - t0).toFixed(0)} ms, ran ${(t2 - t1).toFixed(0)} ms, verified in ${(performance.now() - t2).toFixed(0)} ms`,
  );
  return violations;
}

/** Chooses this point's child config and kill plan from the lane's PRNG. */
function plan(lane: Lane, seed: number, point: number): { config: ChildConfig; kill: Kill } {
  const r = lane.rand;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const config: ChildConfig = {
    dir: lane.dir, seed, salt: mix32(lane.index * 1_000_003 + point), workers: pick([1, 4, 16, 64]), pFlush: 0.2 + 0.7 * r(),
    pAbort: 0.02, truncateThreshold: pick([16 << 10, 64 << 10, 1 << 20, HUGE]), flushEveryMs: r() < 0.3 ? 2 + Math.floor(r() * 20) : 0,
    truncateEveryMs: r() < 0.2 ? 20 + Math.floor(r() * 60) : 0, bulk: r() < 0.1, maxMs: 20_000,
  };
  const x = r();
  // A big log on disk: kill the next child while it recovers it, more often than not.
  if ((lane.logBytes > 1 << 20 && x < 0.6) || (x >= 0.6 && x < 0.72)) {
    // The last child's open time, plus replay of the log at a guessed 50 MB/s.
    const openMs = lane.openMs + lane.logBytes / 50e3;
    return { config, kill: { kind: "open", delayMs: r() < 0.2 ? 0 : r() * openMs * 1.2 } };
  }
  const y = r();
  if (y < 0.18) {
    // Grow the log: mostly no-flush commits, no truncation.
    Object.assign(config, { workers: pick([1, 4]), pFlush: 0.01, truncateThreshold: HUGE, flushEveryMs: 0, truncateEveryMs: 0, bulk: true });
    return { config, kill: { kind: "time", ms: 80 + r() * 320 } };
  }
  if (y < 0.45) {
    // Kill inside an explicit truncation, sometimes at its very start.
    Object.assign(config, { truncateEveryMs: 5 + Math.floor(r() * 25), truncateThreshold: pick([64 << 10, HUGE]) });
    return { config, kill: { kind: "truncate", nth: 1 + Math.floor(r() * 3), delayMs: r() < 0.25 ? 0 : r() * lane.truncateMs * 1.3 } };
  }
  if (y < 0.75) return { config, kill: { kind: "acks", n: 1 + Math.floor(r() ** 2 * 300) } };
  return { config, kill: { kind: "time", ms: r() * 200 } };
}

/** Opens a copy of the lane's directory and checks the recovered image against the model; returns the K recovered. */
async function verify(lane: Lane, bound: number, bulk: boolean, result: CrashResult, v: (rule: Rule, message: string) => void): Promise<number> {
  const logBytes = dirBytes(lane.dir) - SIZE_A - SIZE_B;
  lane.logBytes = Math.max(0, logBytes);
  result.maxLogBytes = Math.max(result.maxLogBytes, lane.logBytes);
  fs.rmSync(lane.scratch, { recursive: true, force: true });
  fs.cpSync(lane.dir, lane.scratch, { recursive: true });
  let rvm: Rvm;
  try {
    rvm = await Rvm.open(lane.scratch, { truncateThreshold: HUGE });
  } catch (err) {
    v("reopen", `Rvm.open of what the kill left threw: ${err instanceof Error ? err.stack : String(err)}`);
    fs.rmSync(lane.scratch, { recursive: true, force: true });
    return -1;
  }
  try {
    const a = await rvm.map(SEG_A, SIZE_A);
    const b = await rvm.map(SEG_B, SIZE_B);
    const seed = result.seed;
    const K = headerK(a.data, seed);
    const m = lane.model;
    if (K < 0) {
      v("atomic", `the recovered header of ${SEG_A} is torn: ${a.data.subarray(0, 8).toString("hex")}`);
      return K;
    }
    result.txsVerified += K;
    result.durableVerified += lane.durable;
    if (K < lane.durable) v("durable", `recovered up to tx ${K}, but tx ${lane.durable} had been acknowledged durable`);
    if (K < m.k) v("monotonic", `recovered up to tx ${K}, but an earlier recovery of this directory held tx ${m.k}`);
    else if (K > bound) v("phantom", `recovered tx ${K}, but at most tx ${bound} can have been committed`);
    else {
      if (K > m.k) m.runs.push({ from: m.k + 1, bulk });
      for (let k = m.k + 1; k <= K; k++) applyModel(m, seed, k, bulk);
      const diff = diagnose(m, a.data, b.data, seed);
      if (diff) v(diff.rule, diff.message);
    }
    return K;
  } finally {
    await rvm.close();
    fs.rmSync(lane.scratch, { recursive: true, force: true });
  }
}

function applyModel(m: Model, seed: number, k: number, bulk: boolean): void {
  const ranges = txRanges(seed, k, bulk);
  applyTx(m, seed, k, ranges);
  for (const r of ranges) if (r.fill) (r.seg === 0 ? m.writerA : m.writerB).fill(k, r.offset, r.offset + r.length);
  m.writerA.fill(k, 0, 8);
  m.k = k;
}

/**
 * Compares a recovered image with the model at K. On a difference, names the transaction that
 * last wrote the first differing byte, and whether all of it or only part of it is missing.
 */
function diagnose(m: Model, a: Buffer, b: Buffer, seed: number): { rule: Rule; message: string } | null {
  for (const [name, got, want, writer] of [[SEG_A, a, m.a, m.writerA], [SEG_B, b, m.b, m.writerB]] as const) {
    if (got.equals(want)) continue;
    let at = 0;
    while (got[at] === want[at]) at++;
    const k = writer[at];
    // Which of tx k's ranges still show its bytes (where no later tx overwrote them)?
    let present = 0;
    let missing = 0;
    let bulk = false;
    for (const run of m.runs) if (run.from <= k) bulk = run.bulk;
    for (const r of txRanges(seed, k, bulk)) {
      if (!r.fill) continue;
      const seg = r.seg === 0 ? a : b;
      const w = r.seg === 0 ? m.writerA : m.writerB;
      const expect = Buffer.alloc(r.length);
      fillRange(expect, { ...r, offset: 0 });
      for (let i = 0; i < r.length; i++) {
        if (w[r.offset + i] !== k) continue;
        if (seg[r.offset + i] === expect[i]) present++;
        else missing++;
      }
    }
    const where = `${name}[${at}] is 0x${got[at].toString(16)}, want 0x${want[at].toString(16)} from tx ${k} (recovered up to tx ${m.k})`;
    if (present === 0) return { rule: "suffix", message: `tx ${k} is lost whole while later txs up to ${m.k} survived: ${where}` };
    return { rule: "atomic", message: `tx ${k} is partly present (${present} bytes present, ${missing} missing): ${where}` };
  }
  return null;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

type Child = {
  proc: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onLine: (line: string) => void;
  send: (config: ChildConfig) => void;
  stderr: string;
};

/** Bundles the child into dir when esbuild is at hand; returns how to start one. */
async function childStarter(dir: string): Promise<() => Child> {
  let args = ["--import", "tsx", childPath];
  try {
    const esbuild = await import("esbuild");
    const outfile = path.join(dir, "crash-child.mjs");
    await esbuild.build({ entryPoints: [childPath], outfile, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "silent" });
    args = [outfile];
  } catch {
    // Run the sources through tsx instead: slower to start, same code.
  }
  return () => startChild(args);
}

function startChild(args: string[]): Child {
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
  let markReady: () => void = () => {};
  const child: Child = {
    proc,
    ready: new Promise((resolve) => (markReady = resolve)),
    exited: new Promise((resolve) => proc.on("close", (code, signal) => resolve({ code, signal }))),
    onLine: () => {},
    send: (config) => proc.stdin.write(JSON.stringify(config) + "\n"),
    stderr: "",
  };
  // A child killed before it was used (the spare at the end) also ends "ready".
  proc.on("close", () => markReady());
  proc.stdin.on("error", () => {});
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (s: string) => (child.stderr = (child.stderr + s).slice(-4000)));
  let pending = "";
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (s: string) => {
    pending += s;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === "R") markReady();
      else child.onLine(line);
    }
  });
  return child;
}
