import t from "tap";
import { crashCopy, logFiles, openRvm } from "./helpers.ts";
import { MIN_RECORD_BYTES, RANGE_HEADER_BYTES } from "../../../runtime/lrvm/log.ts";
import fs from "node:fs";

t.test("transactions - commit makes the declared ranges durable, and only those", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 64);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 12);
  seg.data.write("hello, world", 0);
  seg.data.write("outside", 40); // not declared
  await tx.commit();
  const r2 = await openRvm(t, crashCopy(dir));
  const back = await r2.map("s", 64);
  t.equal(back.data.toString("latin1", 0, 12), "hello, world");
  t.ok(back.data.subarray(40, 47).equals(Buffer.alloc(7)), "bytes outside declared ranges are not durable");
  t.equal(r2.recovery.records, 1);
});

t.test("transactions - new values are captured at commit, not at setRange", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 8);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 4);
  seg.data.write("aaaa", 0);
  seg.data.write("bbbb", 0);
  const done = tx.commit();
  seg.data.write("cccc", 0); // after commit returned: not part of the record
  await done;
  const back = await (await openRvm(t, crashCopy(dir))).map("s", 8);
  t.equal(back.data.toString("latin1", 0, 4), "bbbb");
});

t.test("transactions - repeated and overlapping ranges are coalesced into one range", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 64);
  const before = rvm.stats.logBytes;
  const tx = rvm.begin();
  tx.setRange(seg, 0, 10);
  tx.setRange(seg, 5, 10);
  tx.setRange(seg, 5, 10);
  tx.setRange(seg, 15, 5); // touching: merged too
  tx.setRange(seg, 30, 2); // apart: its own range
  seg.data.fill(1, 0, 20);
  seg.data.fill(2, 30, 32);
  await tx.commit();
  t.equal(rvm.stats.logBytes - before, MIN_RECORD_BYTES + 2 * RANGE_HEADER_BYTES + 20 + 2, "one record of two ranges: 20 and 2 bytes");
  const back = await (await openRvm(t, crashCopy(dir))).map("s", 64);
  t.same([...back.data.subarray(0, 32)], [...Array(20).fill(1), ...Array(10).fill(0), 2, 2]);
});

t.test("transactions - abort restores declared ranges in reverse order", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("s", 16);
  seg.data.write("0123456789abcdef", 0);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 6);
  seg.data.write("XXXXXX", 0);
  tx.setRange(seg, 3, 6); // overlaps: its undo copy holds "XXX678"
  seg.data.write("YYYYYY", 3);
  tx.abort();
  t.equal(seg.data.toString("latin1"), "0123456789abcdef", "the oldest values win");
  t.ok(tx.ended);
  const again = rvm.begin();
  again.setRange(seg, 0, 16);
  again.abort();
  t.pass("aborted ranges are released");
});

t.test("transactions - an aborted transaction writes nothing durable", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 8);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 8);
  seg.data.fill(5);
  tx.abort();
  await rvm.flush();
  const r2 = await openRvm(t, crashCopy(dir));
  t.equal(r2.recovery.records, 0);
  t.ok((await r2.map("s", 8)).data.equals(Buffer.alloc(8)));
});

t.test("transactions - no-restore transactions commit without undo copies", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 8);
  const tx = rvm.begin({ restore: false });
  t.equal(tx.restore, false);
  tx.setRange(seg, 0, 8);
  seg.data.fill(3);
  await tx.commit();
  t.same([...(await (await openRvm(t, crashCopy(dir))).map("s", 8)).data], Array(8).fill(3));
});

t.test("transactions - an empty transaction commits and writes no record", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  await rvm.map("s", 8);
  const before = rvm.stats.logBytes;
  await rvm.begin().commit();
  await rvm.begin().commit({ flush: false });
  t.equal(rvm.stats.logBytes, before);
  t.equal(rvm.lastSeq, 0);
});

t.test("transactions - no-flush commits are buffered until a flush-mode commit", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 8);
  const lazy = rvm.begin();
  lazy.setRange(seg, 0, 4);
  seg.data.fill(1, 0, 4);
  await lazy.commit({ flush: false });
  const crashed = await openRvm(t, crashCopy(dir));
  t.equal(crashed.recovery.records, 0, "a crash before any flush loses the lazy commit, whole");
  t.ok((await crashed.map("s", 8)).data.equals(Buffer.alloc(8)));
  const eager = rvm.begin();
  eager.setRange(seg, 4, 4);
  seg.data.fill(2, 4, 8);
  await eager.commit();
  const later = await openRvm(t, crashCopy(dir));
  t.equal(later.recovery.records, 2, "the flush-mode commit carried the earlier lazy one");
  t.same([...(await later.map("s", 8)).data], [1, 1, 1, 1, 2, 2, 2, 2]);
});

t.test("transactions - rvm.flush() makes lazy commits durable", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 8);
  for (let i = 0; i < 8; i++) {
    const tx = rvm.begin();
    tx.setRange(seg, i, 1);
    seg.data[i] = i + 1;
    await tx.commit({ flush: false });
  }
  await rvm.flush();
  await rvm.flush(); // nothing pending: resolves too
  const r2 = await openRvm(t, crashCopy(dir));
  t.equal(r2.recovery.records, 8);
  t.same([...(await r2.map("s", 8)).data], [1, 2, 3, 4, 5, 6, 7, 8]);
});

t.test("transactions - lazy commits past spillBytes reach the file, in order, without a flush", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { spillBytes: 256 });
  const seg = await rvm.map("s", 64);
  for (let i = 0; i < 20; i++) {
    const tx = rvm.begin();
    tx.setRange(seg, 0, 64);
    seg.data.fill(i);
    await tx.commit({ flush: false });
  }
  const written = fs.statSync(logFiles(dir)[0] as string).size;
  t.ok(written > 256, "spilled to the log file");
  const r2 = await openRvm(t, crashCopy(dir));
  t.ok(r2.recovery.records > 0 && r2.recovery.records < 20, "a prefix survives the crash");
  t.same([...(await r2.map("s", 64)).data], Array(64).fill(r2.recovery.records - 1), "exactly the state after that prefix");
});

t.test("transactions - spilled lazy commits get background fdatasyncs; flush, truncate and close wait for them", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { spillBytes: 256, truncateThreshold: 0 });
  const seg = await rvm.map("s", 64);
  const commit = (i: number, flush: boolean) => {
    const tx = rvm.begin();
    tx.setRange(seg, 0, 64);
    seg.data.fill(i & 0xff);
    return tx.commit({ flush });
  };
  // No await between them: the background fdatasyncs are all still in flight below.
  for (let i = 1; i <= 100; i++) void commit(i, false);
  await commit(101, true);
  for (let i = 102; i <= 200; i++) void commit(i, false);
  await rvm.truncate();
  for (let i = 201; i <= 300; i++) void commit(i, false);
  await rvm.flush();
  const r2 = await openRvm(t, crashCopy(dir));
  t.equal(r2.lastSeq, 300, "every lazy commit is durable after the flush");
  t.same([...(await r2.map("s", 64)).data], Array(64).fill(300 & 0xff));
  for (let i = 301; i <= 400; i++) void commit(i, false);
  await rvm.close();
  const r3 = await openRvm(t, crashCopy(dir));
  t.equal(r3.lastSeq, 400, "close makes the rest durable");
});

t.test("transactions - group commit: concurrent flush commits share fdatasyncs", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("s", 64 * 8);
  const before = rvm.stats.syncLatency.count;
  const commits: Promise<void>[] = [];
  for (let i = 0; i < 64; i++) {
    const tx = rvm.begin();
    tx.setRange(seg, i * 8, 8);
    seg.data.fill(i, i * 8, i * 8 + 8);
    commits.push(tx.commit());
  }
  await Promise.all(commits);
  t.equal(rvm.stats.syncLatency.count - before, 1, "64 commits of one tick cost one fdatasync");
  t.equal(rvm.stats.flushCommits, 64);
  const back = await (await openRvm(t, crashCopy(dir))).map("s", 64 * 8);
  for (let i = 0; i < 64; i++) t.equal(back.data[i * 8 + 7], i);
});

t.test("transactions - committers that keep committing share syncs round after round", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("s", 32 * 8);
  const rounds = 20;
  await Promise.all(
    Array.from({ length: 32 }, async (_, w) => {
      for (let r = 0; r < rounds; r++) {
        const tx = rvm.begin();
        tx.setRange(seg, w * 8, 8);
        seg.data.fill(r, w * 8, w * 8 + 8);
        await tx.commit();
      }
    }),
  );
  t.equal(rvm.stats.flushCommits, 32 * rounds);
  t.ok(rvm.stats.syncLatency.count <= rounds * 2 + 2, `${rvm.stats.syncLatency.count} syncs for ${32 * rounds} commits`);
  t.ok(rvm.stats.syncLatency.sum > 0);
});
