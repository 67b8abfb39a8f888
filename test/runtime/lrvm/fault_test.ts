/**
 * Fault injection on the log: cut it at every byte offset of its last record, and flip
 * random bits anywhere in it. Recovery must stop at the last valid record before the damage,
 * never apply a damaged record (or anything after it), and never throw.
 */
import fs from "node:fs";
import { crc32 } from "node:zlib";
import t from "tap";
import fc from "fast-check";
import { FILE_HEADER_BYTES } from "../../../runtime/lrvm/log.ts";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { crashCopy, logFiles, segmentFile } from "./helpers.ts";

const SIZE = 48;
const RECORDS = 12;

/** Record k (1-based) writes value k into [k, k + 2k) and value 100 + k at 40..47: each prefix leaves a distinct image. */
function imageAfter(k: number): Buffer {
  const img = Buffer.alloc(SIZE);
  for (let i = 1; i <= k; i++) {
    img.fill(i, i, Math.min(i + 2 * i, 40));
    img.fill(100 + i, 40, 48);
  }
  return img;
}

/** A directory with RECORDS committed records in one log file, never truncated; returns it and the record boundaries. */
async function buildLog(dir: string): Promise<{ dir: string; log: string; starts: number[]; end: number }> {
  const rvm = await Rvm.open(dir, { truncateThreshold: 0 });
  const seg = await rvm.map("s", SIZE);
  for (let k = 1; k <= RECORDS; k++) {
    const tx = rvm.begin();
    tx.setRange(seg, k, Math.min(2 * k, 40 - k));
    tx.setRange(seg, 40, 8);
    seg.data.fill(k, k, Math.min(3 * k, 40));
    seg.data.fill(100 + k, 40, 48);
    await tx.commit({ flush: k % 3 === 0 });
  }
  await rvm.flush();
  const snapshot = crashCopy(dir);
  await rvm.close();
  const log = logFiles(snapshot)[0] as string;
  const bytes = fs.readFileSync(log);
  const starts: number[] = [];
  for (let p = FILE_HEADER_BYTES; p < bytes.length; p += bytes.readUInt32LE(p + 4)) starts.push(p);
  return { dir: snapshot, log, starts, end: bytes.length };
}

/** Copies the pristine directory, lets `damage` change the copy's log, recovers, returns the report and image. */
async function recoverDamaged(pristine: string, into: string, damage: (log: string) => void) {
  crashCopy(pristine, into);
  damage(logFiles(into)[0] as string);
  const rvm = await Rvm.open(into);
  const report = rvm.recovery;
  await rvm.close();
  return { report, image: segmentFile(into, "s").subarray(0, SIZE) };
}

t.test("fault injection - the pristine log recovers every record", async (t) => {
  const built = await buildLog(t.testdir());
  t.equal(built.starts.length, RECORDS);
  const { report, image } = await recoverDamaged(built.dir, `${built.dir}.ok`, () => undefined);
  t.equal(report.records, RECORDS);
  t.equal(report.stoppedAt, null);
  t.same([...image], [...imageAfter(RECORDS)]);
});

t.test("fault injection - cut at every byte offset of the last record: recovery keeps the others", async (t) => {
  const built = await buildLog(t.testdir());
  const last = built.starts[RECORDS - 1] as number;
  const expected = [...imageAfter(RECORDS - 1)];
  let checked = 0;
  for (let cut = last; cut < built.end; cut++) {
    const { report, image } = await recoverDamaged(built.dir, `${built.dir}.cut${cut}`, (log) => fs.truncateSync(log, cut));
    if (report.records !== RECORDS - 1) t.fail(`cut at ${cut}: ${report.records} records`);
    if (cut > last && report.stoppedAt?.reason !== "torn") t.fail(`cut at ${cut}: reason ${report.stoppedAt?.reason}`);
    if (cut > last && report.stoppedAt?.offset !== last) t.fail(`cut at ${cut}: stopped at ${report.stoppedAt?.offset}`);
    if (!image.equals(Buffer.from(expected))) t.fail(`cut at ${cut}: the image is not the one after ${RECORDS - 1} records`);
    fs.rmSync(`${built.dir}.cut${cut}`, { recursive: true });
    checked++;
  }
  t.equal(checked, built.end - last, `${checked} cut points, every byte of the last record`);
  t.pass("every cut recovered the first records only");
});

t.test("fault injection - after a torn tail, new commits append after the last valid record", async (t) => {
  const built = await buildLog(t.testdir());
  const target = `${built.dir}.torn`;
  crashCopy(built.dir, target);
  fs.truncateSync(logFiles(target)[0] as string, built.end - 3);
  let rvm = await Rvm.open(target);
  t.equal(rvm.recovery.records, RECORDS - 1);
  const seg = await rvm.map("s", SIZE);
  const tx = rvm.begin();
  tx.setRange(seg, 0, 1);
  seg.data[0] = 77;
  await tx.commit();
  t.equal(rvm.lastSeq, RECORDS, "the torn record's sequence number is reused by the next commit");
  await rvm.close();
  rvm = await Rvm.open(target);
  t.equal(rvm.recovery.stoppedAt, null, "the torn tail is gone");
  const back = await rvm.map("s", SIZE);
  const want = imageAfter(RECORDS - 1);
  want[0] = 77;
  t.same([...back.data], [...want]);
  await rvm.close();
});

t.test("fault injection - random bit flips: recovery applies exactly the records before the damaged one", async (t) => {
  const built = await buildLog(t.testdir());
  const recordOf = (offset: number): number => {
    if (offset < FILE_HEADER_BYTES) return 0; // the file header: nothing is read
    let k = 0;
    while (k < built.starts.length && (built.starts[k] as number) <= offset) k++;
    return k; // 1-based index of the record holding `offset`
  };
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: built.end - 1 }), fc.integer({ min: 0, max: 7 }), async (offset, bit) => {
      const into = `${built.dir}.flip${run++}`;
      const { report, image } = await recoverDamaged(built.dir, into, (log) => {
        const bytes = fs.readFileSync(log);
        bytes[offset] = (bytes[offset] as number) ^ (1 << bit);
        fs.writeFileSync(log, bytes);
      });
      fs.rmSync(into, { recursive: true });
      const k = recordOf(offset);
      const kept = k === 0 ? 0 : k - 1;
      if (report.records !== kept) throw new Error(`flip at ${offset}.${bit}: ${report.records} records, expected ${kept}`);
      if (report.stoppedAt === null) throw new Error(`flip at ${offset}.${bit}: not reported`);
      if (!image.equals(imageAfter(kept))) throw new Error(`flip at ${offset}.${bit}: image is not the one after ${kept} records`);
    }),
    { numRuns: 120, seed: 20260325 },
  );
  t.pass("120 random bit flips recovered to the right prefix, reported, no throw");
});

t.test("fault injection - garbage after the last record, a zeroed tail, and a damaged header", async (t) => {
  const built = await buildLog(t.testdir());
  const cases: Array<[string, (log: string) => void, number, string]> = [
    ["random garbage appended", (log) => fs.appendFileSync(log, Buffer.from("not a record at all, just bytes")), RECORDS, "magic"],
    ["zeros appended (a file extended but not written)", (log) => fs.appendFileSync(log, Buffer.alloc(4096)), RECORDS, "magic"],
    ["a few bytes appended", (log) => fs.appendFileSync(log, Buffer.from([1, 2, 3])), RECORDS, "torn"],
    ["header magic damaged", (log) => fs.writeFileSync(log, Buffer.concat([Buffer.from("X"), fs.readFileSync(log).subarray(1)])), 0, "header"],
    ["file shorter than its header", (log) => fs.truncateSync(log, 10), 0, "header"],
    [
      "a record's sequence number replaced, checksum fixed",
      (log) => {
        const bytes = fs.readFileSync(log);
        const at = built.starts[5] as number;
        const len = bytes.readUInt32LE(at + 4);
        bytes.writeUInt32LE(999, at + 8);
        bytes.writeUInt32LE(crc32(bytes.subarray(at, at + len - 4)), at + len - 4);
        fs.writeFileSync(log, bytes);
      },
      5,
      "sequence",
    ],
  ];
  for (const [i, [name, damage, records, reason]] of cases.entries()) {
    const into = `${built.dir}.case${i}`;
    const { report, image } = await recoverDamaged(built.dir, into, damage);
    t.equal(report.records, records, `${name}: ${records} records`);
    t.equal(report.stoppedAt?.reason, reason, `${name}: reason ${reason}`);
    t.same([...image], [...imageAfter(records)], `${name}: image after ${records} records`);
  }
});

