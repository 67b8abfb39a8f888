/**
 * `npm run bench [-- --json] [-- NAME ...]`: runs every bench/*.bench.ts (or the named ones),
 * each in its own child process so that one cannot warm or pollute another, with a progress line.
 *
 * Without --json it prints each figure as it comes and a summary table. With --json it prints
 * exactly one JSON object per figure on stdout, nothing else.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIGURE_PREFIX, type Figure, fmt, machine, meetsTarget } from "./harness.ts";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const names = args.filter((a) => !a.startsWith("--"));
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => names.length === 0 || names.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();

if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${names.join(", ")}; available: ${readdirSync(here).filter((f) => f.endsWith(".bench.ts")).join(", ")}\n`);
  process.exit(2);
}

const figures: Figure[] = [];
process.stderr.write(`machine: ${machine()}\n`);

for (const [i, file] of files.entries()) {
  process.stderr.write(`[${i + 1}/${files.length}] ${file}\n`);
  const code = await runOne(join(here, file));
  if (code !== 0) {
    process.stderr.write(`${file} failed with exit code ${code}\n`);
    process.exitCode = 1;
  }
}

if (!json) {
  process.stdout.write("\n" + table(figures) + "\n");
}

function runOne(path: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--expose-gc", path], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, PTS_BENCH_CHILD: "1" },
    });
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(FIGURE_PREFIX)) {
          const f = JSON.parse(line.slice(FIGURE_PREFIX.length)) as Figure;
          figures.push(f);
          if (json) process.stdout.write(JSON.stringify(f) + "\n");
        } else if (!json) {
          process.stdout.write(line + "\n");
        }
      }
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

function table(rows: Figure[]): string {
  const head = ["bench", "figure", "value", "unit", "baseline", "ratio", "target", "met"];
  const body = rows.map((f) => {
    const met = meetsTarget(f);
    return [f.bench, f.figure, fmt(f.value), f.unit, f.baseline === null ? "-" : fmt(f.baseline), f.ratio === null ? "-" : f.ratio.toFixed(3), f.target ?? "-", met === null ? "-" : met ? "yes" : "NO"];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (r: string[]) => "| " + r.map((x, c) => x.padEnd(widths[c])).join(" | ") + " |";
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
