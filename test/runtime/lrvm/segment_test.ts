import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { commitFill, crashCopy, openRvm, segmentFile } from "./helpers.ts";

t.test("segments - map creates a zero-filled segment and its file", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const seg = await rvm.map("meta", 4096);
  t.equal(seg.name, "meta");
  t.equal(seg.size, 4096);
  t.equal(seg.data.length, 4096);
  t.ok(seg.data.equals(Buffer.alloc(4096)), "all zeros");
  t.equal(fs.statSync(path.join(dir, "meta.seg")).size, 4096);
  t.same(rvm.segmentNames(), ["meta"]);
  t.ok(Object.isFrozen(seg), "name, size and data cannot be reassigned");
});

t.test("segments - map of an existing segment returns a copy of its committed contents", async (t) => {
  const dir = t.testdir();
  let rvm = await Rvm.open(dir);
  let seg = await rvm.map("meta", 16);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 5);
  seg.data.write("hello", 0);
  await tx.commit();
  await rvm.close();
  rvm = await openRvm(t, dir);
  seg = await rvm.map("meta", 16);
  t.equal(seg.data.toString("latin1", 0, 5), "hello");
  seg.data.write("XXXXX", 0); // a copy: not written through to the file
  t.equal(segmentFile(dir, "meta").toString("latin1", 0, 5), "hello");
});

t.test("segments - map extends a shorter segment with zeros and keeps a longer file whole", async (t) => {
  const dir = t.testdir();
  let rvm = await Rvm.open(dir);
  let seg = await rvm.map("s", 8);
  await commitFill(rvm, seg, 0, 8, 7);
  await rvm.close();
  rvm = await Rvm.open(dir);
  seg = await rvm.map("s", 20);
  t.same([...seg.data], [...Buffer.alloc(8, 7), ...Buffer.alloc(12)]);
  t.equal(segmentFile(dir, "s").length, 20);
  await rvm.close();
  rvm = await openRvm(t, dir);
  seg = await rvm.map("s", 4);
  t.equal(seg.size, 4);
  t.same([...seg.data], [7, 7, 7, 7]);
  t.equal(segmentFile(dir, "s").length, 20, "mapping fewer bytes leaves the file's length alone");
});

t.test("segments - a zero-size segment maps", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("empty", 0);
  t.equal(seg.data.length, 0);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 0);
  await tx.commit();
  t.ok(tx.ended);
});

t.test("segments - unmap then map again sees commits made through the first mapping", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", 32);
  const lazy = rvm.begin();
  lazy.setRange(seg, 0, 4);
  seg.data.write("lazy", 0);
  await lazy.commit({ flush: false });
  const tx = rvm.begin();
  tx.setRange(seg, 8, 5);
  seg.data.write("flush", 8);
  await tx.commit();
  seg.data.write("junk", 20); // never declared: not committed
  await rvm.unmap(seg);
  const again = await rvm.map("s", 32);
  t.not(again, seg, "a new mapping object");
  t.equal(again.data.toString("latin1", 0, 4), "lazy");
  t.equal(again.data.toString("latin1", 8, 13), "flush");
  t.ok(again.data.subarray(20, 24).equals(Buffer.alloc(4)), "undeclared writes are gone");
});

t.test("segments - several segments are independent", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  const a = await rvm.map("a", 8);
  const b = await rvm.map("b", 8);
  const tx = rvm.begin();
  tx.setRange(a, 0, 8);
  tx.setRange(b, 0, 8);
  a.data.fill(1);
  b.data.fill(2);
  await tx.commit();
  const copy = crashCopy(dir);
  const r2 = await openRvm(t, copy);
  t.same([...(await r2.map("a", 8)).data], Array(8).fill(1));
  t.same([...(await r2.map("b", 8)).data], Array(8).fill(2));
  t.same(r2.segmentNames().sort(), ["a", "b"]);
});

t.test("segments - destroy removes the file and the name; a new segment of that name starts empty", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  let seg = await rvm.map("gone", 16);
  await commitFill(rvm, seg, 0, 16, 9);
  await rvm.unmap(seg);
  await rvm.destroy("gone");
  t.notOk(fs.existsSync(path.join(dir, "gone.seg")));
  t.same(rvm.segmentNames(), []);
  await rvm.destroy("gone"); // destroying what does not exist does nothing
  await rvm.destroy("never-was");
  seg = await rvm.map("gone", 16);
  t.ok(seg.data.equals(Buffer.alloc(16)), "zeros, not the destroyed values");
  // The old records are still in the log: recovery must not apply them to the new segment.
  const copy = crashCopy(dir);
  const r2 = await openRvm(t, copy);
  t.equal(r2.recovery.skippedRanges, 1, "the destroyed segment's range was skipped");
  t.ok((await r2.map("gone", 16)).data.equals(Buffer.alloc(16)));
});

t.test("segments - names that could escape the directory are refused, plain names work", async (t) => {
  const dir = t.testdir();
  const rvm = await openRvm(t, dir);
  for (const name of ["meta", "channel 7.index", "ünïcödé", ".hidden", "x".repeat(200), "LOCK", "segments.tbl"]) {
    const seg = await rvm.map(name, 4);
    t.equal(seg.name, name);
    t.ok(fs.existsSync(path.join(dir, `${name}.seg`)), `${JSON.stringify(name.slice(0, 20))} is a file in the directory`);
  }
  t.notOk(fs.existsSync(path.join(dir, "..", "escape.seg")));
  t.ok(fs.existsSync(path.join(dir, "LOCK")), "a segment named LOCK does not touch the lock");
});
