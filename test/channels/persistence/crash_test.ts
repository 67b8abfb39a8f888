/**
 * Persistent-channel crash tests with real processes: children (crash-child.ts) put into
 * persistent channels, run a stage, or only reopen a data directory, and are SIGKILLed at
 * random moments; a reopen of what each kill left must hold what the guarantees promise.
 *
 * - sync: every put that resolved is there, with its exact bytes; nothing torn, nothing that
 *   was never put; order and timestamps intact; get(ts), next(), items(), get(lo, hi) agree.
 * - checkpoint: the puts of a run that survive are exactly puts 1..K in put order, for a K no
 *   smaller than the last put a completed checkpoint is known to have held. Why that is "the
 *   loss is at most the puts after the last completed checkpoint": a checkpoint makes every
 *   put since the one before durable in one LRVM transaction, so each completed checkpoint
 *   leaves puts 1..K_j durable. A crash keeps whole checkpoints only, so the survivors are
 *   1..K for the last completed one, and the loss is exactly the puts after it. A torn
 *   checkpoint, or a later one kept while an earlier one was lost, leaves a set that is no
 *   prefix. The child learns that a checkpoint completed when stats().stored.pending is 0, or
 *   when rt.stop() resolved, and reports `D k`; K >= k is then checked.
 * - a stage: 10,000 input items, a stage child with a named consumer doing get → commitStep,
 *   killed again and again: after every kill the output is f(input 1..m) for one m, and the
 *   durable cursor resumes at input m+1; at the end the output holds exactly one output per input.
 * - reopen: kills land while a child opens (recovers) a data directory with thousands of items;
 *   each time, exactly the stored items are there afterwards.
 *
 * Everything runs in os.tmpdir() and is removed. PTS_PERSIST_CRASH_SEED=<n> repeats a run's
 * decisions (timing still varies); PTS_PERSIST_CRASH_POINTS=<n> sets the sync and checkpoint
 * points (default 32 each; the stage and reopen lanes add 15 to 30 and 24, so that at least
 * 100 run however fast the stage goes).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import { prng } from "../../runtime/lrvm/crash-pattern.ts";
import { type LaneResult, type StageResult, STAGE_ITEMS, runPutLane, runReopenLane, runStageLane, starter } from "./crash-harness.ts";

const seed = Number(process.env.PTS_PERSIST_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const points = Number(process.env.PTS_PERSIST_CRASH_POINTS ?? 32);
const stageKills = 30;
const reopenKills = 24;
// Real processes and fsyncs on two busy cores: the whole file takes about two minutes.
t.setTimeout(900_000);
t.comment(`persist crash: seed ${seed} (repeat with PTS_PERSIST_CRASH_SEED=${seed})`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pts-persist-crash-"));
const started = performance.now();
let sync: LaneResult;
let checkpoint: LaneResult;
let reopen: LaneResult;
let stage: StageResult;
try {
  const child = await starter(root);
  const trace = process.env.PTS_PERSIST_CRASH_TRACE ? (line: string) => t.comment(line) : undefined;
  const lane = (n: number, count: number) => ({ seed, root, points: count, child, rand: prng(seed + 0x9e37 * n), trace });
  // The stage waits on one fsync per step; the other lane runs alongside it.
  [stage, [sync, checkpoint, reopen]] = await Promise.all([
    runStageLane(lane(1, stageKills)),
    (async () => [
      await runPutLane("sync", { ...lane(2, points), freshEvery: 8 }),
      await runPutLane("checkpoint", { ...lane(3, points), freshEvery: 8 }),
      await runReopenLane(lane(4, reopenKills)),
    ])(),
  ]);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
/** Errors the runtime reported to a child while it ran (it reads nothing damaged), apart from the rest. */
const reports = (r: LaneResult) => r.problems.filter((p) => p.includes("the child said: W "));
const others = (r: LaneResult) => r.problems.filter((p) => !p.includes("the child said: W "));
const total = sync.points + checkpoint.points + reopen.points + stage.points;
t.comment(
  `persist crash: ${total} crash points in ${((performance.now() - started) / 1000).toFixed(1)} s: sync ${sync.points}, checkpoint ${checkpoint.points}, ` +
    `reopen ${reopen.points} (killed while opening ${reopen.killedInOpen + sync.killedInOpen + checkpoint.killedInOpen + stage.killedInOpen} times in all), ` +
    `stage ${stage.points} kills over ${stage.runs} runs; ${sync.itemsChecked + checkpoint.itemsChecked + reopen.itemsChecked} items checked after kills`,
);

t.test("persist crash - at least 100 crash points ran and reopened", async (t) => {
  t.ok(total >= 100 || points < 32, `${total} crash points`);
  t.equal(fs.existsSync(root), false, "the temporary directories are removed");
});

t.test("persist crash - sync: every resolved put survives, nothing torn, reads agree", async (t) => {
  t.same(others(sync).slice(0, 20), [], `seed ${seed}`);
  t.equal(sync.points, points);
  t.ok(sync.ackedChecked > 0, `${sync.ackedChecked} resolved puts were checked`);
  t.ok(sync.killedInRun > 0, `${sync.killedInRun} kills landed while putting`);
  t.ok(sync.reopenedAfterKill > 0, "children recovered what earlier kills left");
});

t.test("persist crash - checkpoint: survivors are a prefix in put order, no shorter than the last checkpoint", async (t) => {
  t.same(others(checkpoint).slice(0, 20), [], `seed ${seed}`);
  t.equal(checkpoint.points, points);
  t.ok(checkpoint.ackedChecked > 0, `${checkpoint.ackedChecked} checkpointed puts were checked`);
  t.ok(checkpoint.itemsChecked > 0, `${checkpoint.itemsChecked} items found after kills`);
});

t.test("persist crash - stage: killed again and again, one output per input", async (t) => {
  t.same(others(stage).slice(0, 20), [], `seed ${seed}`);
  t.ok(stage.finished, "the stage drained its input");
  t.equal(stage.outputs, STAGE_ITEMS, "the output holds one item per input");
  t.ok(stage.points >= stageKills / 2, `${stage.points} kills over ${stage.runs} runs`);
});

t.test("persist crash - a running child is never told of damage that is not there", async (t) => {
  // A checkpoint-mode child polls stats(), which reads the oldest item from disk while
  // checkpoints commit: such a read must neither skip items nor report them as damaged.
  t.same(reports(sync).slice(0, 5), [], "sync");
  t.same(reports(checkpoint).slice(0, 5), [], "checkpoint");
  t.same(reports(stage).slice(0, 5), [], "stage");
  t.same(reports(reopen).slice(0, 5), [], "reopen");
});

t.test("persist crash - kills while reopening lose nothing stored", async (t) => {
  t.same(others(reopen).slice(0, 20), [], `seed ${seed}`);
  t.equal(reopen.points, reopenKills);
  t.ok(reopen.killedInOpen > 0, `${reopen.killedInOpen} of ${reopen.points} kills landed before the open finished`);
  t.ok(reopen.itemsChecked > 0, "the reopened directory held items to check");
});
