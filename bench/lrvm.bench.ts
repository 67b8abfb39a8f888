/**
 * LRVM throughput: flush commits/s at 1, 16, 64 and 256 concurrent committers, no-flush
 * commits/s, and recovery and truncation MB/s, each against a baseline measured in this run.
 *
 *   npm run bench -- lrvm
 *
 * Baselines:
 * - flush commits: a raw loop of `fs.writeSync` + `fs.fdatasyncSync` of the same 256 bytes per
 *   commit (one fdatasync each); the same loop awaiting `fs.fdatasync` (libuv's thread pool, as
 *   a committer that does not block the event loop must), shown for 1 committer; and
 *   better-sqlite3 (WAL, synchronous=FULL, one INSERT of the same 256 bytes per transaction).
 *   None can share an fsync between committers, so one measurement of each serves every
 *   committer count. Subjects and baselines run in alternating slices of 250 ms (see
 *   `interleaved`), so a burst of someone else's disk traffic hits them all alike.
 * - no-flush commits: `fs.writeSync` of the same 256 bytes with no sync (handing bytes to the OS).
 * - recovery: reading the same log files and computing their crc32 (the floor of any replay).
 * - truncation: writing the log's bytes to a file and fdatasync (the floor of applying them).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { Rvm } from "../runtime/lrvm/index.ts";
import { type Subject, clearStatus, figure, interleaved, loopSync, openSqliteDurable, status } from "./harness.ts";

const bench = "lrvm";
const COMMIT_BYTES = 256;
/** Every rate is measured in SLICES slices of SLICE_MS, taken in turn with its baselines. */
const SLICES = Number(process.env.PTS_BENCH_SLICES ?? 10);
const SLICE_MS = 250;
const LOG_BYTES = 128 << 20;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "pts-lrvm-bench-"));
const payload = Buffer.alloc(COMMIT_BYTES, 0x5a);


let step = 0;
function say(what: string): void {
  status(`lrvm bench [${++step}] ${what}`);
}


/** An append-only file of the raw baselines. */
function rawFile(name: string): { fd: number; close: () => void } {
  const file = path.join(root, name);
  const fd = fs.openSync(file, "w");
  return { fd, close: () => (fs.closeSync(fd), fs.rmSync(file, { force: true })) };
}

/** The raw loop: writeSync of 256 B, then fdatasyncSync, per commit. */
function rawFdatasync(): Subject {
  const { fd, close } = rawFile("raw.log");
  const one = () => {
    fs.writeSync(fd, payload);
    fs.fdatasyncSync(fd);
  };
  loopSync(one, 50);
  return { name: "raw writeSync + fdatasyncSync per commit", run: (ms) => loopSync(one, ms), close };
}

/** The raw loop with fdatasync through libuv's thread pool (awaited), as an async committer must. */
function rawFdatasyncAsync(): Subject {
  const { fd, close } = rawFile("raw-async.log");
  const sync = () => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  return {
    name: "raw writeSync + awaited fs.fdatasync per commit",
    run: async (ms) => {
      let n = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        fs.writeSync(fd, payload);
        await sync();
        n++;
      }
      return n;
    },
    close,
  };
}

/** The raw loop without any sync: writeSync of 256 B per commit. */
function rawWrite(): Subject {
  const { fd, close } = rawFile("raw-nosync.log");
  return { name: "raw writeSync, no sync", run: (ms) => loopSync(() => void fs.writeSync(fd, payload), ms), close };
}

/** better-sqlite3 in WAL mode with synchronous=FULL: one INSERT of 256 B per transaction. */
function sqlite(): Subject {
  const dir = fs.mkdtempSync(path.join(root, "sqlite-"));
  const db = openSqliteDurable(path.join(dir, "bench.db"));
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  const one = () => void insert.run(payload);
  loopSync(one, 50);
  return {
    name: "better-sqlite3, WAL, synchronous=FULL",
    run: (ms) => loopSync(one, ms),
    close: () => (db.close(), fs.rmSync(dir, { recursive: true, force: true })),
  };
}

/** `committers` concurrent committers on one Rvm, each commit 256 B over one or two ranges. */
async function lrvmCommits(committers: number, flush: boolean): Promise<Subject> {
  const dir = fs.mkdtempSync(path.join(root, "commits-"));
  const rvm = await Rvm.open(dir);
  const slot = 2 * COMMIT_BYTES;
  const seg = await rvm.map("bench", committers * slot);
  const half = COMMIT_BYTES / 2;
  let n = 0;
  const committer = async (i: number, end: number) => {
    const base = i * slot;
    let round = 0;
    // Reading the clock every 32 commits keeps it out of the no-flush figure.
    while ((round & 31) !== 0 || performance.now() < end) {
      const tx = rvm.begin({ restore: false });
      const v = ++round & 0xff;
      if ((round & 1) === 0) {
        tx.setRange(seg, base, COMMIT_BYTES);
        seg.data.fill(v, base, base + COMMIT_BYTES);
      } else {
        // Two ranges of 128 B, apart from each other.
        tx.setRange(seg, base, half);
        tx.setRange(seg, base + COMMIT_BYTES, half);
        seg.data.fill(v, base, base + half);
        seg.data.fill(v, base + COMMIT_BYTES, base + COMMIT_BYTES + half);
      }
      await tx.commit({ flush });
      n++;
    }
  };
  const run = async (ms: number) => {
    n = 0;
    const end = performance.now() + ms;
    await Promise.all(Array.from({ length: committers }, (_, i) => committer(i, end)));
    if (!flush) await rvm.flush();
    return n;
  };
  await run(100); // warm-up
  return {
    name: `lrvm ${flush ? "flush" : "no-flush"} commits, ${committers} committer(s)`,
    run,
    close: async () => {
      await rvm.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a new Rvm directory (no automatic truncation) and commits about LOG_BYTES of records to its log. */
async function buildLog(): Promise<{ dir: string; rvm: Rvm; logBytes: number }> {
  const dir = fs.mkdtempSync(path.join(root, "log-"));
  const rvm = await Rvm.open(dir, { truncateThreshold: 0 });
  const size = 16 << 20;
  const seg = await rvm.map("big", size);
  const chunk = 4096;
  let written = 0;
  let i = 0;
  while (written < LOG_BYTES) {
    const off = (Math.imul(i, 2654435761) >>> 0) % (size - chunk);
    const tx = rvm.begin({ restore: false });
    tx.setRange(seg, off, chunk);
    seg.data.fill(i & 0xff, off, off + chunk);
    await tx.commit({ flush: false });
    written += chunk;
    if (++i % 4096 === 0) say(`building a log: ${(written / 2 ** 20).toFixed(0)} MiB`);
  }
  await rvm.flush();
  return { dir, rvm, logBytes: logBytesOf(dir, ["big"]) };
}

/** Bytes in dir that are not segment files (the log, plus small metadata). */
function logBytesOf(dir: string, segments: string[]): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    if (segments.some((s) => name.startsWith(s))) continue;
    const st = fs.statSync(path.join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}

function largeFiles(dir: string, segments: string[]): string[] {
  return fs.readdirSync(dir).filter((name) => !segments.some((s) => name.startsWith(s)) && fs.statSync(path.join(dir, name)).size > 1 << 20).map((n) => path.join(dir, n));
}

function readAndCrc(files: string[]): number {
  const t0 = performance.now();
  let bytes = 0;
  for (const f of files) {
    const buf = fs.readFileSync(f);
    zlib.crc32(buf);
    bytes += buf.length;
  }
  return bytes / 2 ** 20 / ((performance.now() - t0) / 1000);
}

function writeAndSync(bytes: number): number {
  const file = path.join(root, "apply.bin");
  const buf = Buffer.alloc(1 << 20, 7);
  const t0 = performance.now();
  const fd = fs.openSync(file, "w");
  for (let done = 0; done < bytes; done += buf.length) fs.writeSync(fd, buf);
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
  const mbs = bytes / 2 ** 20 / ((performance.now() - t0) / 1000);
  fs.rmSync(file, { force: true });
  return mbs;
}

try {
  const counts = [1, 16, 64, 256];
  const lrvms: Subject[] = [];
  for (const c of counts) lrvms.push(await lrvmCommits(c, true));
  const [raw, rawAsync, lite, ...flushRates] = await interleaved([rawFdatasync(), rawFdatasyncAsync(), sqlite(), ...lrvms], SLICES, SLICE_MS, say);
  for (const [i, c] of counts.entries()) {
    const v = flushRates[i];
    figure({ bench, figure: `flush commits/s, ${c} committer${c === 1 ? "" : "s"}, vs raw fdatasync`, value: v, unit: "commits/s", baseline: raw, target: c === 1 ? "ratio >= 0.8" : null });
    figure({ bench, figure: `flush commits/s, ${c} committer${c === 1 ? "" : "s"}, vs better-sqlite3`, value: v, unit: "commits/s", baseline: lite, target: c === 64 ? "ratio >= 10" : null });
    if (c === 1) {
      // Not a target: shows how much of the gap to the raw loop is the async fdatasync itself.
      figure({ bench, figure: "flush commits/s, 1 committer, vs raw awaited async fdatasync", value: v, unit: "commits/s", baseline: rawAsync, target: null });
    }
  }

  const [rawNoSync, lazy] = await interleaved([rawWrite(), await lrvmCommits(1, false)], SLICES, 150, say);
  figure({ bench, figure: "no-flush commits/s, 256 B", value: lazy, unit: "commits/s", baseline: rawNoSync, target: "value >= 200000" });

  say("building a log for recovery");
  const built = await buildLog();
  // close() syncs and keeps the log as it is; the next open must replay all of it.
  await built.rvm.close();
  const logFiles = largeFiles(built.dir, ["big"]);
  say("baseline: read + crc32 of the log");
  const readRate = readAndCrc(logFiles);
  say(`recovery of ${(built.logBytes / 2 ** 20).toFixed(0)} MiB of log`);
  let t0 = performance.now();
  const recovered = await Rvm.open(built.dir, { truncateThreshold: 0 });
  const recoverySeconds = (performance.now() - t0) / 1000;
  const replayed = recovered.recovery.bytes;
  await recovered.close();
  fs.rmSync(built.dir, { recursive: true, force: true });
  figure({ bench, figure: "recovery, MB/s of log", value: built.logBytes / 2 ** 20 / recoverySeconds, unit: "MB/s", baseline: readRate, target: "value >= 200" });
  if (replayed < built.logBytes * 0.9) process.stderr.write(`recovery replayed only ${replayed} of ${built.logBytes} log bytes\n`);

  say("baseline: write + fdatasync of the same bytes");
  const again = await buildLog();
  const applyRate = writeAndSync(again.logBytes);
  say(`truncation of ${(again.logBytes / 2 ** 20).toFixed(0)} MiB of log`);
  t0 = performance.now();
  await again.rvm.truncate();
  const truncateSeconds = (performance.now() - t0) / 1000;
  await again.rvm.close();
  fs.rmSync(again.dir, { recursive: true, force: true });
  figure({ bench, figure: "truncation, MB/s of log", value: again.logBytes / 2 ** 20 / truncateSeconds, unit: "MB/s", baseline: applyRate, target: null });
} finally {
  clearStatus();
  fs.rmSync(root, { recursive: true, force: true });
}
