/**
 * LRVM crash tests with real processes: children commit a known pattern of transactions and are
 * SIGKILLed at random moments (while committing, inside truncation, inside recovery); a reopen
 * must recover exactly a prefix of what they committed, holding every acknowledged flush.
 * The harness and its model are in crash-harness.ts.
 *
 * LRVM_CRASH_SEED=<n> repeats a run's decisions; LRVM_CRASH_POINTS=<n> changes the count.
 */
import t from "tap";
import { type Rule, runCrashPoints } from "./crash-harness.ts";

const seed = Number(process.env.LRVM_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const points = Number(process.env.LRVM_CRASH_POINTS ?? 200);
// Each point waits on real processes; 200 take about a minute on two busy cores.
t.setTimeout(600_000);
t.comment(`lrvm crash: seed ${seed}, ${points} points (repeat with LRVM_CRASH_SEED=${seed})`);

const result = await runCrashPoints({ points, seed });
t.comment(
  `lrvm crash: ${result.passed}/${result.done} points passed in ${result.seconds.toFixed(1)} s; killed in open ${result.phases.open}, ` +
    `truncate ${result.phases.truncate}, commit ${result.phases.commit}; largest log ${(result.maxLogBytes / 2 ** 20).toFixed(1)} MiB`,
);

const broken = (rule: Rule) => result.violationList.filter((v) => v.rule === rule).map((v) => v.message).slice(0, 10);

t.test("lrvm crash - every crash point runs and recovers", async (t) => {
  t.equal(result.done, points, "every point ran");
  t.equal(result.passed, points, `every point passed (seed ${seed})`);
  t.same(broken("child"), [], "children commit without errors and die only by the kill");
  t.same(broken("reopen"), [], "reopening what a kill left never throws");
});

t.test("lrvm crash - every transaction whose flush commit resolved is present", async (t) => {
  t.same(broken("durable"), []);
  t.ok(result.durableVerified > 0, "some flush commits resolved before their kill");
});

t.test("lrvm crash - no transaction is partly present", async (t) => {
  t.same(broken("atomic"), []);
  t.ok(result.txsVerified > 0, "recovered images held transactions to check");
});

t.test("lrvm crash - no-flush transactions are lost only whole and only as a suffix", async (t) => {
  t.same(broken("suffix"), [], "no transaction is missing while a later one survived");
  t.same(broken("phantom"), [], "nothing beyond what was committed is recovered");
});

t.test("lrvm crash - recovery never loses what an earlier recovery held", async (t) => {
  t.same(broken("monotonic"), []);
});

t.test("lrvm crash - kills land during recovery, truncation and commits", async (t) => {
  t.ok(result.phases.open > 0, `killed during recovery ${result.phases.open} times`);
  t.ok(result.phases.truncate > 0, `killed during truncation ${result.phases.truncate} times`);
  t.ok(result.phases.commit > 0, `killed while committing ${result.phases.commit} times`);
});
