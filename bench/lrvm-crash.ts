/**
 * `npm run crash:lrvm -- --points 2000 [--seed N] [--lanes 2] [--trace]`: the LRVM crash harness of
 * test/runtime/lrvm/crash-harness.ts, run on demand with as many random crash points as asked.
 *
 * Shows a status line at a terminal, prints its figures in the harness format (so its output can
 * be piped to bench/report.ts), lists any violation on stderr and exits 1 if there is one.
 */
import { clearStatus, figure, status } from "./harness.ts";
import { runCrashPoints } from "../test/runtime/lrvm/crash-harness.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`--${name} takes a whole number, not ${process.argv[i + 1]}\n`);
    process.exit(2);
  }
  return n;
}

const points = arg("points", 2000);
const seed = arg("seed", Math.floor(Math.random() * 2 ** 31));
const lanes = arg("lanes", 2);
const trace = process.argv.includes("--trace");
process.stderr.write(`lrvm-crash: ${points} points, seed ${seed}, ${lanes} lanes (repeat with --seed ${seed})\n`);

const started = performance.now();
const result = await runCrashPoints({
  points, seed, lanes,
  trace: trace ? (line) => process.stderr.write(`\r\x1b[2K${line}\n`) : undefined,
  onPoint: (p) => {
    const s = (performance.now() - started) / 1000;
    const line = `lrvm-crash ${p.done}/${p.points} points · ${p.violations} violations · killed in open ${p.phases.open}, truncate ${p.phases.truncate}, commit ${p.phases.commit} · ${s.toFixed(0)} s`;
    status(line);
    // Off a terminal status() is silent: a plain line every tenth of the run instead.
    if (!process.stderr.isTTY && p.done % Math.max(1, Math.round(p.points / 10)) === 0) process.stderr.write(line + "\n");
  },
});
clearStatus();

for (const v of result.violationList) process.stderr.write(`VIOLATION [${v.rule}] ${v.message}\n`);
process.stderr.write(
  `lrvm-crash: ${result.passed}/${result.done} points passed in ${result.seconds.toFixed(1)} s; killed in open ${result.phases.open}, truncate ${result.phases.truncate}, ` +
    `commit ${result.phases.commit}; largest log ${(result.maxLogBytes / 2 ** 20).toFixed(1)} MiB; ${result.txsVerified} transactions in recovered images, summed over points\n`,
);
const bench = "lrvm-crash";
figure({ bench, figure: "random crash points verified", value: result.passed, unit: "points", baseline: null, target: `value >= ${points}` });
figure({ bench, figure: "violations found", value: result.violations, unit: "violations", baseline: null, target: "value <= 0" });
figure({ bench, figure: "kills during recovery", value: result.phases.open, unit: "points", baseline: null, target: null });
figure({ bench, figure: "kills during truncation", value: result.phases.truncate, unit: "points", baseline: null, target: null });
figure({ bench, figure: "kills during commits", value: result.phases.commit, unit: "points", baseline: null, target: null });
if (result.violations > 0 || result.passed < points) process.exitCode = 1;
