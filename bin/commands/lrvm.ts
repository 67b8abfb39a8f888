/**
 * `pts lrvm`: inspect or truncate an LRVM directory.
 *
 * - `pts lrvm inspect DIR [--json]` reads the directory without changing it: segments and
 *   their sizes, log files, record count, last sequence number, a torn or corrupt tail, and
 *   who holds the lock.
 * - `pts lrvm truncate DIR` opens the directory (which recovers it), applies the log to the
 *   segment files and reclaims it. It fails with ELOCKED while another process has it open.
 *
 * Both draw a progress line on stderr when it is a terminal.
 */
import { existsSync } from "node:fs";
import { Rvm, inspect } from "../../runtime/lrvm/index.ts";
import type { InspectReport, Progress } from "../../runtime/lrvm/index.ts";

export const summary = "inspect or truncate an LRVM directory";
export const usage = [
  "usage: pts lrvm inspect DIR [--json]   show segments, log files, records, last sequence, torn tail (read-only)",
  "       pts lrvm truncate DIR           recover, apply the log to the segment files, reclaim the log",
].join("\n");

const tty = process.stderr.isTTY === true;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]} (${n} B)`;
}

/** Draws a one-line status at a terminal; a no-op otherwise (set once, not per call). */
const progress: (p: Progress) => void = tty
  ? (p) => {
      const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
      process.stderr.write(`\r\x1b[2K${p.phase}: ${pct}% of ${(p.total / 2 ** 20).toFixed(1)} MiB of log`);
    }
  : () => undefined;

function clearStatus(): void {
  if (tty) process.stderr.write("\r\x1b[2K");
}

export function formatInspect(r: InspectReport): string {
  const lines = [`directory   ${r.dir}`];
  lines.push(`lock        ${r.lock === null ? "free" : r.lock.alive ? `held by live process ${r.lock.pid}` : `stale (process ${r.lock.pid || "?"} is gone)`}`);
  lines.push(`segments    ${r.segments.length}`);
  const width = Math.max(0, ...r.segments.map((s) => s.name.length));
  for (const s of r.segments) lines.push(`  ${s.name.padEnd(width)}  id ${String(s.id).padEnd(4)} ${s.size === null ? "file missing" : bytes(s.size)}`);
  lines.push(`log         ${r.logs.length} file(s), ${bytes(r.logBytes)}`);
  for (const l of r.logs) {
    const seqs = l.records > 0 ? `seq ${l.firstSeq}..${l.lastSeq}` : "no records";
    lines.push(`  ${l.file}  epoch ${l.epoch}  ${l.records} record(s), ${seqs}, ${bytes(l.bytes)}`);
  }
  lines.push(`records     ${r.records}`);
  lines.push(`last seq    ${r.lastSeq}`);
  lines.push(
    `torn tail   ${r.torn === null ? "none" : `${r.torn.file} at byte ${r.torn.offset}: ${r.torn.reason}; ${r.torn.ignoredBytes} byte(s) will be ignored by recovery`}`,
  );
  return lines.join("\n");
}

async function runInspect(dir: string, json: boolean): Promise<number> {
  const report = await inspect(dir, { onProgress: progress });
  clearStatus();
  process.stdout.write((json ? JSON.stringify(report, null, 2) : formatInspect(report)) + "\n");
  return 0;
}

async function runTruncate(dir: string): Promise<number> {
  const rvm = await Rvm.open(dir, { onProgress: progress, truncateThreshold: 0 });
  try {
    const rec = rvm.recovery;
    clearStatus();
    process.stdout.write(
      `recovered   ${rec.records} record(s), ${bytes(rec.bytes)} from ${rec.files} log file(s), last seq ${rec.lastSeq}` +
        (rec.stoppedAt ? `; stopped at ${rec.stoppedAt.file} byte ${rec.stoppedAt.offset} (${rec.stoppedAt.reason})` : "") +
        "\n",
    );
    const t = await rvm.truncate();
    clearStatus();
    process.stdout.write(`truncated   ${t.records} record(s), ${bytes(t.bytes)} applied to ${t.segments} segment file(s); log now ${bytes(rvm.logSize)}\n`);
  } finally {
    await rvm.close();
  }
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const json = args.includes("--json");
  const rest = args.filter((a) => a !== "--json");
  const [sub, dir, ...extra] = rest;
  if (dir === undefined || extra.length > 0 || (sub !== "inspect" && sub !== "truncate") || (json && sub !== "inspect")) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (sub === "inspect" && !existsSync(dir)) {
    process.stderr.write(`pts lrvm: ${dir}: no such directory\n`);
    return 1;
  }
  return sub === "inspect" ? runInspect(dir, json) : runTruncate(dir);
}
