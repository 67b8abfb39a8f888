import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import type { Progress, Segment } from "../../../runtime/lrvm/index.ts";
import { FILE_HEADER_BYTES } from "../../../runtime/lrvm/log.ts";
import { commitFill, crashCopy, logFiles, openRvm, segmentFile } from "./helpers.ts";

t.test("truncation - applies the log to the segment files and resets the log", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 64);
  for (let i = 0; i < 16; i++) await commitFill(rvm, seg, i * 4, 4, i + 1, i % 2 === 0);
  const lazyOnly = rvm.begin();
  lazyOnly.setRange(seg, 0, 1);
  seg.data[0] = 200;
  await lazyOnly.commit({ flush: false });
  t.ok(rvm.logSize > FILE_HEADER_BYTES);
  const report = await rvm.truncate();
  t.match(report, { records: 17, lastSeq: 17, segments: 1 });
  t.ok(report.bytes > 16 * 4);
  t.equal(rvm.logSize, FILE_HEADER_BYTES, "the new epoch's log holds only its header");
  t.equal(logFiles(dir).length, 1, "the old epoch's file is gone");
  const file = segmentFile(dir, "s");
  t.equal(file[0], 200, "the lazy commit was made durable and applied too");
  for (let i = 1; i < 16; i++) t.equal(file[i * 4], i + 1);
  t.equal(rvm.stats.truncations, 1);
  const again = await rvm.truncate();
  t.equal(again.records, 0, "truncating an empty log applies nothing");
});

t.test("truncation - commits continue while the old epoch is applied", async (t) => {
  const dir = t.testdir();
  const during: Promise<void>[] = [];
  let seg: Segment | null = null;
  const rvm = await openRvm(t, dir, {
    truncateThreshold: 0,
    onProgress: (p) => {
      // Called while the old epoch is being read: commit from inside the truncation.
      if (p.phase === "truncate" && during.length === 0) for (let i = 0; i < 20; i++) during.push(commitFill(rvm, seg as Segment, i * 8, 8, 0xee));
    },
  });
  seg = await rvm.map("s", 1024);
  for (let i = 0; i < 200; i++) await commitFill(rvm, seg, (i * 8) % 1024, 8, i & 0xff, false);
  const report = await rvm.truncate();
  t.equal(during.length, 20, "commits were started during the truncation");
  await Promise.all(during);
  t.equal(report.records, 200, "the truncation applied the old epoch only");
  t.equal(rvm.lastSeq, 220);
  t.ok(rvm.logSize > FILE_HEADER_BYTES, "the commits made during truncation are in the new epoch");
  const r2 = await openRvm(t, crashCopy(dir));
  const back = await r2.map("s", 1024);
  for (let i = 0; i < 20; i++) t.equal(back.data[i * 8], 0xee, `commit ${i} made during truncation survived`);
  t.same([...back.data], [...seg.data], "the whole segment is as committed");
});

t.test("truncation - runs on its own above the log-size threshold", async (t) => {
  const dir = t.testdir();
  let i = 0;
  // When the truncation reads the old log, not when it ends: its end races the commits that go on.
  let startedAt: number | undefined;
  const rvm = await openRvm(t, dir, { truncateThreshold: 4096, onProgress: (p: Progress) => void (p.phase === "truncate" && (startedAt ??= i)) });
  const seg = await rvm.map("s", 256);
  while (rvm.stats.truncations === 0 && i < 10_000) await commitFill(rvm, seg, 0, 256, i++ & 0xff);
  t.ok(rvm.stats.truncations >= 1, `truncated on its own after ${i} commits`);
  t.ok(startedAt !== undefined && startedAt < 100, `soon after the log passed 4 KiB: it started after commit ${startedAt}`);
  t.equal(rvm.autoTruncateError, null);
  await commitFill(rvm, seg, 0, 256, 0x5a);
  const r2 = await openRvm(t, crashCopy(dir));
  t.same([...(await r2.map("s", 256)).data], Array(256).fill(0x5a));
});

t.test("truncation - a crash at any point of a truncation recovers every commit", async (t) => {
  const dir = t.testdir();
  const snapshots: string[] = [];
  const rvm = await openRvm(t, dir, {
    truncateThreshold: 0,
    onProgress: (p: Progress) => {
      if (p.phase === "truncate") snapshots.push(crashCopy(dir)); // old and new epoch, segments not applied yet
    },
  });
  const a = await rvm.map("a", 512);
  const b = await rvm.map("b", 512);
  for (let i = 0; i < 64; i++) {
    await commitFill(rvm, a, (i * 8) % 512, 8, i + 1, i % 4 === 0);
    await commitFill(rvm, b, (i * 16) % 512, 16, 200 - i, i % 4 === 0);
  }
  const truncation = rvm.truncate();
  await commitFill(rvm, a, 0, 8, 0xaa); // into the new epoch, maybe while applying
  await truncation;
  await commitFill(rvm, b, 0, 8, 0xbb);
  const done = crashCopy(dir);
  t.ok(snapshots.length > 0, "snapshots taken while the old epoch was applied");
  const mid = snapshots[0] as string;
  t.equal(logFiles(mid).length, 2, "the mid-truncation snapshot holds both epochs");
  // Applied, old epoch not yet deleted: segment files from after, every log file from both.
  const applied = crashCopy(mid);
  for (const name of ["a.seg", "b.seg"]) fs.copyFileSync(path.join(done, name), path.join(applied, name));
  for (const log of logFiles(done)) fs.copyFileSync(log, path.join(applied, path.basename(log)));
  // Half applied: one segment file written back, the other not.
  const half = crashCopy(mid);
  fs.copyFileSync(path.join(done, "a.seg"), path.join(half, "a.seg"));
  for (const log of logFiles(done)) fs.copyFileSync(log, path.join(half, path.basename(log)));
  const cases: Array<[string, string, boolean]> = [
    ["while applying (both epochs, nothing applied)", mid, false],
    ["after applying, before deleting the old epoch", applied, true],
    ["between two segment write-backs", half, true],
    ["after the truncation", done, true],
  ];
  for (const [name, snapshot, hasLater] of cases) {
    const r = await Rvm.open(snapshot);
    const ra = await r.map("a", 512);
    const rb = await r.map("b", 512);
    t.equal(r.recovery.stoppedAt, null, `${name}: no damage`);
    if (hasLater) {
      t.same([...ra.data], [...a.data], `${name}: segment a`);
      t.same([...rb.data], [...b.data], `${name}: segment b`);
    } else {
      t.same([...ra.data.subarray(8)], [...a.data.subarray(8)], `${name}: segment a`);
      t.same([...rb.data.subarray(16)], [...b.data.subarray(16)], `${name}: segment b`);
    }
    await r.close();
  }
});

t.test("truncation - progress is reported for the bytes of the old epoch", async (t) => {
  const seen: Progress[] = [];
  const rvm = await openRvm(t, t.testdir(), { truncateThreshold: 0, onProgress: (p) => seen.push(p) });
  const seg = await rvm.map("s", 4096);
  for (let i = 0; i < 10; i++) await commitFill(rvm, seg, 0, 4096, i, false);
  await rvm.truncate();
  const truncating = seen.filter((p) => p.phase === "truncate");
  t.ok(truncating.length > 0);
  const last = truncating.at(-1) as Progress;
  t.equal(last.done, last.total);
  t.ok(last.total > 10 * 4096);
});

t.test("truncation - the log of a closed Rvm is replayed in full at the next open", async (t) => {
  const dir = t.testdir();
  let rvm = await Rvm.open(dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 8);
  await commitFill(rvm, seg, 0, 8, 4, false);
  await rvm.close(); // close flushes lazy commits; it does not truncate
  rvm = await openRvm(t, dir);
  t.equal(rvm.recovery.records, 1);
  t.same([...(await rvm.map("s", 8)).data], Array(8).fill(4));
});
