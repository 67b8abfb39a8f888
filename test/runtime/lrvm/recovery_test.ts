import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import type { Progress, Segment } from "../../../runtime/lrvm/index.ts";
import { commitFill, crashCopy, logFiles, openRvm, segmentFile } from "./helpers.ts";

t.test("recovery - a new directory is created and reports nothing to recover", async (t) => {
  const dir = path.join(t.testdir(), "a", "b");
  const rvm = await openRvm(t, dir);
  t.ok(fs.statSync(dir).isDirectory());
  t.match(rvm.recovery, { records: 0, bytes: 0, files: 0, lastSeq: 0, skippedRanges: 0, stoppedAt: null });
  t.ok(rvm.recovery.ms >= 0);
  t.equal(logFiles(dir).length, 1, "a log file for the first epoch");
});

t.test("recovery - replays committed records into the segment files before anything is mapped", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 64);
  for (let i = 0; i < 10; i++) await commitFill(rvm, seg, i * 4, 4, i + 1);
  t.ok(segmentFile(dir, "s").equals(Buffer.alloc(64)), "before truncation the segment file is untouched");
  const copy = crashCopy(dir);
  const progress: Progress[] = [];
  const r2 = await openRvm(t, copy, { onProgress: (p) => progress.push(p) });
  t.match(r2.recovery, { records: 10, files: 1, lastSeq: 10, stoppedAt: null });
  t.ok(r2.recovery.bytes > 10 * 4);
  const file = segmentFile(copy, "s");
  for (let i = 0; i < 10; i++) t.equal(file[i * 4], i + 1, `record ${i + 1} is in the segment file`);
  t.ok(progress.length > 0 && progress.every((p) => p.phase === "recover"), "progress is reported");
  const lastProgress = progress.at(-1) as Progress;
  t.equal(lastProgress.done, lastProgress.total, "progress ends at 100%");
  t.equal(r2.lastSeq, 10, "sequence numbers continue");
});

t.test("recovery - is idempotent: a crash after applying, before the log is reset, recovers the same", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 32);
  for (let i = 0; i < 8; i++) await commitFill(rvm, seg, i * 4, 4, 10 + i);
  const original = crashCopy(dir);
  const once = crashCopy(original);
  const r1 = await Rvm.open(once);
  const s1 = await r1.map("s", 32);
  await commitFill(r1, s1, 0, 4, 99); // a commit in the new epoch
  const after = crashCopy(once);
  await r1.close();
  // The state of a crash inside recovery: segment files applied, old log still there, new log present.
  const mid = crashCopy(original);
  fs.copyFileSync(path.join(after, "s.seg"), path.join(mid, "s.seg"));
  for (const log of logFiles(after)) fs.copyFileSync(log, path.join(mid, path.basename(log)));
  t.equal(logFiles(mid).length, 2, "both epochs present");
  const r2 = await openRvm(t, mid);
  t.equal(r2.recovery.records, 9, "8 old records replayed again, then the new one");
  t.equal(r2.recovery.stoppedAt, null);
  const back = await r2.map("s", 32);
  t.same([...back.data], [99, 99, 99, 99, ...[11, 12, 13, 14, 15, 16, 17].flatMap((v) => [v, v, v, v])]);
  // Twice more over the same files: same answer.
  for (let i = 0; i < 2; i++) {
    const again = crashCopy(mid);
    const r = await openRvm(t, again);
    t.same([...(await r.map("s", 32)).data], [...back.data]);
  }
});

t.test("recovery - a clean reopen writes nothing when there is nothing to replay", async (t) => {
  const dir = t.testdir();
  let rvm = await Rvm.open(dir);
  await rvm.map("s", 8);
  await rvm.close();
  const before = logFiles(dir);
  rvm = await openRvm(t, dir);
  t.same(logFiles(dir), before, "the empty log file is reused");
});

t.test("recovery - lazy commits lost in a crash are lost whole, and only as a suffix", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { spillBytes: 1 << 30 });
  const seg = await rvm.map("s", 16);
  await commitFill(rvm, seg, 0, 16, 1); // durable
  await commitFill(rvm, seg, 0, 8, 2, false);
  await commitFill(rvm, seg, 8, 8, 3, false);
  const r2 = await openRvm(t, crashCopy(dir));
  t.equal(r2.recovery.records, 1);
  t.same([...(await r2.map("s", 16)).data], Array(16).fill(1));
});

t.test("recovery - several segments and many records across a truncation", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const segs = [await rvm.map("a", 256), await rvm.map("b", 256), await rvm.map("c", 256)];
  const model = segs.map(() => Buffer.alloc(256));
  for (let i = 0; i < 300; i++) {
    const k = i % 3;
    const seg = segs[k] as Segment;
    const off = (i * 37) % 240;
    await commitFill(rvm, seg, off, 16, i & 0xff, i % 5 === 0);
    (model[k] as Buffer).fill(i & 0xff, off, off + 16);
    if (i === 150) await rvm.truncate();
  }
  await rvm.flush();
  const r2 = await openRvm(t, crashCopy(dir));
  t.equal(r2.recovery.lastSeq, 300);
  for (const [k, name] of ["a", "b", "c"].entries()) t.same([...(await r2.map(name, 256)).data], [...(model[k] as Buffer)], `segment ${name}`);
});

t.test("recovery - a log that does not continue the sequence is not applied", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 8);
  await commitFill(rvm, seg, 0, 8, 1);
  const early = crashCopy(dir); // epoch 1 with record 1
  await rvm.truncate(); // epoch 2, starting at sequence 2
  await commitFill(rvm, seg, 0, 8, 2);
  await commitFill(rvm, seg, 0, 8, 3);
  const late = crashCopy(dir);
  // Cut record 1 out of the old epoch: epoch 2 no longer continues it.
  const mixed = crashCopy(early);
  const oldLog = logFiles(mixed)[0] as string;
  fs.truncateSync(oldLog, fs.statSync(oldLog).size - 1);
  for (const log of logFiles(late)) fs.copyFileSync(log, path.join(mixed, path.basename(log)));
  const r2 = await openRvm(t, mixed);
  t.equal(r2.recovery.records, 0);
  t.equal(r2.recovery.stoppedAt?.reason, "torn", "the first damage is reported");
  t.ok((r2.recovery.stoppedAt?.ignoredBytes ?? 0) > fs.statSync(logFiles(late)[0] as string).size, "the later file counts as ignored");
  t.ok((await r2.map("s", 8)).data.equals(Buffer.alloc(8)), "records 2 and 3 are not applied without record 1");
});

t.test("recovery - keeps the replayed log files until the next truncation syncs the segments", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 16);
  await commitFill(rvm, seg, 0, 16, 6);
  const copy = crashCopy(dir);
  const r2 = await openRvm(t, copy, { truncateThreshold: 0 });
  t.equal(logFiles(copy).length, 2, "the replayed file is kept beside the new epoch's");
  t.same([...segmentFile(copy, "s")], Array(16).fill(6), "yet the segment file already holds the records");
  // A crash now replays the kept file again, then the new one.
  const s2 = await r2.map("s", 16);
  await commitFill(r2, s2, 0, 4, 7);
  const again = await openRvm(t, crashCopy(copy));
  t.equal(again.recovery.records, 2);
  t.equal(again.recovery.stoppedAt, null);
  t.same([...(await again.map("s", 16)).data], [7, 7, 7, 7, ...Array(12).fill(6)]);
  await r2.truncate();
  t.equal(logFiles(copy).length, 1, "truncation deletes the kept file too");
});

t.test("recovery - kept files count toward the truncation threshold, and are bounded in number", async (t) => {
  const dir = t.testdir();
  for (let i = 0; i < 12; i++) {
    const rvm = await Rvm.open(dir, { truncateThreshold: 0 });
    const seg = await rvm.map("s", 8);
    await commitFill(rvm, seg, 0, 8, i);
    await rvm.close();
    t.ok(logFiles(dir).length <= 8, `restart ${i}: ${logFiles(dir).length} log files`);
  }
  const kept = logFiles(dir).reduce((n, f) => n + fs.statSync(f).size, 0);
  t.ok(kept > 200, `${kept} bytes of log files to keep`);
  // The new epoch's file alone (header + one 52-byte record) stays below this threshold.
  const rvm = await openRvm(t, dir, { truncateThreshold: kept });
  const seg = await rvm.map("s", 8);
  t.same([...seg.data], Array(8).fill(11));
  await commitFill(rvm, seg, 0, 8, 12);
  await rvm.truncate(); // runs after the automatic one, which the write started
  t.equal(rvm.stats.truncations, 2, "the first write past the threshold (kept files included) truncated on its own");
  t.equal(logFiles(dir).length, 1);
});
