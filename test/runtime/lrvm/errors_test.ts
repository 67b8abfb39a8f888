import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { PtsError } from "../../../runtime/errors.ts";
import { RVM_ERROR_CODES, Rvm, RvmError } from "../../../runtime/lrvm/index.ts";
import type { Segment } from "../../../runtime/lrvm/index.ts";
import { openRvm, rejectsCode } from "./helpers.ts";

const seen = new Set<string>();

t.test("errors - the registry: every code has a description and a way to solve", async (t) => {
  const codes = Object.keys(RVM_ERROR_CODES);
  t.ok(codes.length >= 7);
  for (const code of ["EALREADY_MAPPED", "ENOT_MAPPED", "ERANGE", "EUNCOMMITTED", "EMAPPED", "ECONFLICT", "ETX_ENDED"]) {
    t.ok(codes.includes(code), `DESIGN.md code ${code} is in the registry`);
  }
  for (const [code, entry] of Object.entries(RVM_ERROR_CODES)) {
    t.match(code, /^E[A-Z_]+$/, `${code} is an E-code`);
    t.ok(entry.description.length > 10, `${code} has a description`);
    t.ok(entry.solve.length > 10, `${code} says how to solve it`);
  }
});

t.test("errors - RvmError is a PtsError with name, code, cause and the fix in its message", async (t) => {
  const cause = new Error("root");
  const err = new RvmError("ERANGE", "offset -1 is bad", { cause });
  t.ok(err instanceof PtsError);
  t.equal(err.name, "RvmError");
  t.equal(err.code, "ERANGE");
  t.equal(err.cause, cause);
  t.match(err.message, /offset -1 is bad\. Pass non-negative/);
});

t.test("errors - segment errors: EALREADY_MAPPED, ENOT_MAPPED, EMAPPED, EUNCOMMITTED, EBADNAME", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  await rejectsCode(t, () => rvm.map("a", 64), "EALREADY_MAPPED", seen);
  await rejectsCode(t, () => rvm.destroy("a"), "EMAPPED", seen);
  const fake: Segment = { name: "a", size: 64, data: Buffer.alloc(64) };
  await rejectsCode(t, () => rvm.unmap(fake), "ENOT_MAPPED", seen);
  await rejectsCode(t, () => rvm.begin().setRange(fake, 0, 1), "ENOT_MAPPED", seen);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 8);
  await rejectsCode(t, () => rvm.unmap(seg), "EUNCOMMITTED", seen);
  await rejectsCode(t, () => rvm.close(), "EUNCOMMITTED", seen);
  t.ok(rvm.isOpen, "a refused close leaves the Rvm open");
  tx.abort();
  await rvm.unmap(seg);
  await rejectsCode(t, () => rvm.unmap(seg), "ENOT_MAPPED", seen);
  await rejectsCode(t, () => rvm.begin().setRange(seg, 0, 1), "ENOT_MAPPED", seen);
  for (const bad of ["", "../escape", "a/b", "a\\b", "nul\0byte", "x".repeat(201), "..", "a..b"]) {
    await rejectsCode(t, () => rvm.map(bad, 8), "EBADNAME", seen);
  }
  await rejectsCode(t, () => rvm.destroy("../x"), "EBADNAME", seen);
  await rejectsCode(t, () => rvm.map(42 as unknown as string, 8), "EBADNAME", seen);
});

t.test("errors - ERANGE: outside, negative, non-integer, bad sizes", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  const tx = rvm.begin();
  const cases: Array<[number, number]> = [
    [60, 5],
    [64, 1],
    [-1, 2],
    [0, -1],
    [1.5, 2],
    [0, 2.5],
    [Number.NaN, 1],
    [0, Number.POSITIVE_INFINITY],
    [Number.MAX_SAFE_INTEGER, 1],
  ];
  for (const [off, len] of cases) await rejectsCode(t, () => tx.setRange(seg, off, len), "ERANGE", seen);
  tx.setRange(seg, 64, 0);
  tx.setRange(seg, 0, 64);
  t.pass("edges of the segment are accepted");
  for (const size of [-1, 1.5, Number.NaN, 2 ** 60]) await rejectsCode(t, () => rvm.map("b", size), "ERANGE", seen);
  tx.abort();
});

t.test("errors - ECONFLICT between open transactions, released at commit and abort", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  const a = rvm.begin();
  const b = rvm.begin();
  a.setRange(seg, 0, 10);
  a.setRange(seg, 5, 10); // a range may overlap the same transaction's ranges
  await rejectsCode(t, () => b.setRange(seg, 14, 4), "ECONFLICT", seen);
  await rejectsCode(t, () => b.setRange(seg, 0, 1), "ECONFLICT", seen);
  b.setRange(seg, 15, 5); // touching is not overlapping
  await a.commit();
  b.setRange(seg, 0, 15);
  const c = rvm.begin();
  await rejectsCode(t, () => c.setRange(seg, 3, 1), "ECONFLICT", seen);
  b.abort();
  c.setRange(seg, 3, 1);
  await c.commit();
});

t.test("errors - ETX_ENDED and ENO_RESTORE", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 4);
  await tx.commit();
  t.ok(tx.ended);
  await rejectsCode(t, () => tx.commit(), "ETX_ENDED", seen);
  await rejectsCode(t, () => tx.abort(), "ETX_ENDED", seen);
  await rejectsCode(t, () => tx.setRange(seg, 0, 1), "ETX_ENDED", seen);
  const aborted = rvm.begin();
  aborted.abort();
  await rejectsCode(t, () => aborted.commit(), "ETX_ENDED", seen);
  const fast = rvm.begin({ restore: false });
  fast.setRange(seg, 0, 4);
  await rejectsCode(t, () => fast.abort(), "ENO_RESTORE", seen);
  t.notOk(fast.ended, "a refused abort leaves the transaction open");
  await fast.commit();
  t.ok(fast.ended);
});

t.test("errors - ECLOSED after close", async (t) => {
  const rvm = await Rvm.open(t.testdir());
  const seg = await rvm.map("a", 8);
  await rvm.close();
  await rvm.close(); // idempotent
  await rejectsCode(t, () => rvm.map("b", 8), "ECLOSED", seen);
  await rejectsCode(t, () => rvm.begin(), "ECLOSED", seen);
  await rejectsCode(t, () => rvm.flush(), "ECLOSED", seen);
  await rejectsCode(t, () => rvm.truncate(), "ECLOSED", seen);
  await rejectsCode(t, () => rvm.unmap(seg), "ECLOSED", seen);
  await rejectsCode(t, () => rvm.destroy("a"), "ECLOSED", seen);
});

t.test("errors - ELOCKED for a second open of a directory", async (t) => {
  const dir = t.testdir();
  await openRvm(t, dir);
  await rejectsCode(t, () => Rvm.open(dir), "ELOCKED", seen);
});

t.test("errors - EINVAL for bad options", async (t) => {
  const dir = t.testdir();
  await rejectsCode(t, () => Rvm.open(dir, { truncateThreshold: -1 }), "EINVAL", seen);
  await rejectsCode(t, () => Rvm.open(dir, { spillBytes: Number.NaN }), "EINVAL", seen);
  await rejectsCode(t, () => Rvm.open(""), "EINVAL", seen);
  const rvm = await openRvm(t, dir);
  await rejectsCode(t, () => rvm.begin({ restore: "yes" as unknown as boolean }), "EINVAL", seen);
  await rejectsCode(t, () => rvm.begin().commit({ flush: 1 as unknown as boolean }), "EINVAL", seen);
});

t.test("errors - ECORRUPT for a damaged segment table", async (t) => {
  const dir = t.testdir();
  const rvm = await Rvm.open(dir);
  await rvm.map("a", 8);
  await rvm.close();
  const table = path.join(dir, "segments.tbl");
  const bytes = fs.readFileSync(table);
  bytes[bytes.length - 6] = (bytes[bytes.length - 6] as number) ^ 0x40;
  fs.writeFileSync(table, bytes);
  await rejectsCode(t, () => Rvm.open(dir), "ECORRUPT", seen);
  t.notOk(fs.existsSync(path.join(dir, "LOCK")), "a failed open releases the lock");
});

t.test("errors - EIO when the log cannot be written, for every later commit too", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  // Break the log's file descriptor behind the writer's back.
  (rvm as unknown as { writer: { fd: number } }).writer.fd = 2 ** 30;
  const tx = rvm.begin();
  tx.setRange(seg, 0, 4);
  await rejectsCode(t, () => tx.commit(), "EIO", seen);
  const next = rvm.begin();
  next.setRange(seg, 0, 4);
  await rejectsCode(t, () => next.commit({ flush: false }), "EIO", seen);
  await rejectsCode(t, () => rvm.flush(), "EIO", seen);
});

t.test("errors - EIO for every commit of a group, whether one waits or several", async (t) => {
  const rvm = await openRvm(t, t.testdir());
  const seg = await rvm.map("a", 64);
  (rvm as unknown as { writer: { fd: number } }).writer.fd = 2 ** 30;
  // Two commits of one tick form a group (thread pool fdatasync), unlike the lone commit above.
  const commits = [0, 8].map((offset) => {
    const tx = rvm.begin();
    tx.setRange(seg, offset, 4);
    return tx.commit();
  });
  for (const c of commits) await rejectsCode(t, () => c, "EIO", seen);
});

t.test("errors - a background fdatasync that failed fails the next flush commit, lone or not", async (t) => {
  const rvm = await openRvm(t, t.testdir(), { spillBytes: 256, truncateThreshold: 0 });
  const seg = await rvm.map("a", 64);
  // Only the background fdatasyncs (callback API) fail: the lone commit's fdatasyncSync would
  // succeed, as the kernel's does once another fdatasync has taken the error report.
  const original = fs.fdatasync;
  t.teardown(() => void (fs.fdatasync = original));
  let failedBackground = 0;
  fs.fdatasync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    failedBackground++;
    process.nextTick(() => callback(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })));
  }) as typeof fs.fdatasync;
  for (let i = 0; i < 40; i++) {
    const tx = rvm.begin();
    tx.setRange(seg, 0, 64);
    seg.data.fill(i);
    await tx.commit({ flush: false });
  }
  t.ok(failedBackground > 0, `spills started background fdatasyncs (${failedBackground})`);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 4);
  await rejectsCode(t, () => tx.commit(), "EIO", seen);
});

t.test("errors - every registry code is thrown by a test above", async (t) => {
  t.same([...seen].filter((c) => c !== "none").sort(), Object.keys(RVM_ERROR_CODES).sort());
});
