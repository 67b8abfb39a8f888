/**
 * The benchmark harness: what every file in bench/ uses to time work and report figures.
 *
 * A bench file measures its subject and its baseline in the same process run and calls
 * `figure()` once per figure. Figures go to stdout as one JSON object per line, prefixed by
 * FIGURE_PREFIX so that bench/run.ts can tell them from anything else printed; a person gets a
 * readable line on stderr. `status()` draws a one-line progress indicator, at a terminal only.
 *
 * A figure: { bench, figure, value, unit, baseline, ratio, target }.
 * - `ratio` is always value / baseline, so its meaning follows the unit: for a rate, above 1
 *   is faster than the baseline; for a latency, below 1 is faster.
 * - `target` is null or "<value|ratio> <op> <number>", e.g. "ratio >= 0.8", "value >= 1000000".
 */
import { createRequire } from "node:module";
import os from "node:os";

export type Figure = {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
};

export const FIGURE_PREFIX = "@@pts-figure ";

const tty = process.stderr.isTTY === true;

/** Draws a status line at a terminal; says nothing when stderr is not a terminal. */
export function status(text: string): void {
  if (!tty) return;
  process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns || 100) - 1)}`);
}

export function clearStatus(): void {
  if (tty) process.stderr.write("\r\x1b[2K");
}

export function meetsTarget(f: Pick<Figure, "value" | "ratio" | "target">): boolean | null {
  if (!f.target) return null;
  const m = /^(value|ratio)\s*(>=|<=|>|<)\s*([\d.e+-]+)$/.exec(f.target);
  if (!m) return null;
  const x = m[1] === "value" ? f.value : f.ratio;
  if (x === null) return false;
  const limit = Number(m[3]);
  switch (m[2]) {
    case ">=": return x >= limit;
    case "<=": return x <= limit;
    case ">": return x > limit;
    default: return x < limit;
  }
}

export function figure(f: Omit<Figure, "ratio"> & { ratio?: number | null }): Figure {
  const ratio = f.ratio !== undefined ? f.ratio : f.baseline ? f.value / f.baseline : null;
  const full: Figure = { ...f, ratio };
  clearStatus();
  process.stdout.write(FIGURE_PREFIX + JSON.stringify(full) + "\n");
  const met = meetsTarget(full);
  const verdict = met === null ? "" : met ? "  [target met]" : "  [TARGET MISSED]";
  process.stderr.write(
    `${f.bench} · ${f.figure}: ${fmt(f.value)} ${f.unit}` +
      (f.baseline !== null ? `  baseline ${fmt(f.baseline)} ${f.unit}  ratio ${ratio === null ? "-" : ratio.toFixed(3)}` : "") +
      (f.target ? `  target ${f.target}${verdict}` : "") +
      "\n",
  );
  return full;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
export async function opsPerSecond(fn: () => unknown, ms = 1000, batch = 1000): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

/**
 * Calls fn for about ms milliseconds, reading the clock every `batch` calls (so that the clock
 * stays out of fast figures); returns the number of calls.
 */
export function loopSync(fn: () => void, ms: number, batch = 8): number {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
  }
  return n;
}

/** Calls fn for about ms milliseconds, `batch` calls between clock reads; returns calls per second. */
export function rateSync(fn: () => void, ms: number, batch = 16): number {
  const start = performance.now();
  const n = loopSync(fn, ms, batch);
  return (n * 1000) / (performance.now() - start);
}

/** The part of better-sqlite3's API the baselines use (it ships no types of its own). */
export type SqliteStatement = { run: (...params: unknown[]) => unknown };
export type SqliteDatabase = { pragma: (sql: string) => unknown; exec: (sql: string) => unknown; prepare: (sql: string) => SqliteStatement; close: () => void };
type SqliteCtor = new (file: string) => SqliteDatabase;

/**
 * Opens a better-sqlite3 database in WAL mode with synchronous=FULL: every commit is durable,
 * the fair baseline for a durable put or commit. Loaded on first use, so benches that do not
 * need the native module never load it.
 */
export function openSqliteDurable(file: string): SqliteDatabase {
  const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteCtor;
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  return db;
}

/** The q-quantile (0..1) of xs, nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Times one call of an async or sync function, in seconds. */
export async function seconds(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? "unknown cpu"} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Something measured in slices: `run(ms)` works about ms milliseconds and returns the ops done. */
export type Subject = { name: string; run: (ms: number) => Promise<number> | number; close?: () => Promise<void> | void };

/**
 * Rates (ops/s) of the subjects, measured in turn, slice by slice, then closes them. A shared
 * machine's speed (and its disk's fsync latency) swings from one second to the next; taking a
 * subject and its baselines in alternating short slices gives them all the same conditions.
 * `say` shows which slice runs (a bench's status line).
 */
export async function interleaved(subjects: Subject[], slices: number, sliceMs: number, say: (what: string) => void = status): Promise<number[]> {
  const ops = subjects.map(() => 0);
  const ms = subjects.map(() => 0);
  for (let s = 0; s < slices; s++) {
    for (const [i, subject] of subjects.entries()) {
      say(`slice ${s + 1}/${slices}: ${subject.name}`);
      const t0 = performance.now();
      ops[i] += await subject.run(sliceMs);
      ms[i] += performance.now() - t0;
    }
  }
  for (const subject of subjects) await subject.close?.();
  return ops.map((n, i) => (n * 1000) / ms[i]);
}
