import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import t from "tap";
import {
  FILE_HEADER_BYTES,
  MIN_RECORD_BYTES,
  RANGE_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  checkRecord,
  decodeFileHeader,
  encodeFileHeader,
  forEachRange,
  logFileName,
  parseLogFileName,
  readU64,
  recordLength,
  scanLogFile,
  sealRecord,
  writeRangeHeader,
  writeRecordHeader,
  viewOf,
  writeU64,
} from "../../../runtime/lrvm/log.ts";
import { SegmentTable, TABLE_FILE, validateSegmentName } from "../../../runtime/lrvm/segment-table.ts";
import { RvmError } from "../../../runtime/lrvm/index.ts";

/** Encodes one record the way transactions do. */
function record(seq: number, ranges: Array<[number, number, Buffer]>): Buffer {
  const len = recordLength(
    ranges.reduce((n, r) => n + r[2].length, 0),
    ranges.length,
  );
  const buf = Buffer.alloc(len);
  const view = viewOf(buf);
  writeRecordHeader(view, 0, len, seq, ranges.length);
  let p = RECORD_HEADER_BYTES;
  for (const [id, off, bytes] of ranges) {
    writeRangeHeader(view, p, id, bytes.length, off);
    bytes.copy(buf, p + RANGE_HEADER_BYTES);
    p += RANGE_HEADER_BYTES + bytes.length;
  }
  sealRecord(view, 0, len);
  return buf;
}

t.test("log format - sizes match the tables at the top of log.ts", async (t) => {
  t.equal(FILE_HEADER_BYTES, 40);
  t.equal(RECORD_HEADER_BYTES, 24);
  t.equal(RANGE_HEADER_BYTES, 16);
  t.equal(MIN_RECORD_BYTES, 28);
  t.equal(recordLength(10, 2), 28 + 32 + 10);
});

t.test("log format - file header round trip; damage and other formats are refused", async (t) => {
  const h = encodeFileHeader({ epoch: 7, firstSeq: 2 ** 40 + 3 });
  t.equal(h.length, FILE_HEADER_BYTES);
  t.equal(h.toString("latin1", 0, 8), "PTSRVMLG");
  t.equal(h.readUInt32LE(8), 1, "version 1");
  t.same(decodeFileHeader(h), { epoch: 7, firstSeq: 2 ** 40 + 3 });
  t.equal(h.readUInt32LE(36), crc32(h.subarray(0, 36)), "checksum of bytes 0..35");
  for (let i = 0; i < FILE_HEADER_BYTES; i++) {
    const bad = Buffer.from(h);
    bad[i] = (bad[i] as number) ^ 1;
    if (decodeFileHeader(bad) !== null) t.fail(`a flip at byte ${i} was accepted`);
  }
  t.equal(decodeFileHeader(h.subarray(0, 39)), null, "short");
  t.pass("every single-bit flip of the header is refused");
});

t.test("log format - u64 fields hold safe integers", async (t) => {
  const buf = Buffer.alloc(8);
  for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 52 + 5, Number.MAX_SAFE_INTEGER]) {
    writeU64(viewOf(buf), 0, v);
    t.equal(readU64(buf, 0), v);
  }
});

t.test("log format - record layout, checksum and ranges", async (t) => {
  const rec = record(9, [
    [3, 100, Buffer.from("abc")],
    [4, 2 ** 33, Buffer.from("xy")],
  ]);
  t.equal(rec.toString("latin1", 0, 4), "RVM1");
  t.equal(rec.readUInt32LE(4), rec.length);
  t.equal(readU64(rec, 8), 9);
  t.equal(rec.readUInt32LE(16), 2);
  t.equal(rec.readUInt32LE(rec.length - 4), crc32(rec.subarray(0, rec.length - 4)));
  t.equal(checkRecord(rec, 0, rec.length), rec.length);
  const seen: Array<[number, number, string]> = [];
  forEachRange(rec, 0, (id, off, bytes) => seen.push([id, off, bytes.toString("latin1")]));
  t.same(seen, [
    [3, 100, "abc"],
    [4, 2 ** 33, "xy"],
  ]);
  t.equal(checkRecord(rec, 0, rec.length - 1), "torn");
  t.equal(checkRecord(rec, 0, 10), "torn");
  const badMagic = Buffer.from(rec);
  badMagic[0] = 0;
  t.equal(checkRecord(badMagic, 0, rec.length), "magic");
  const badLength = Buffer.from(rec);
  badLength.writeUInt32LE(4, 4);
  t.equal(checkRecord(badLength, 0, rec.length), "length");
  const badCrc = Buffer.from(rec);
  badCrc[30] = (badCrc[30] as number) ^ 0x80;
  t.equal(checkRecord(badCrc, 0, rec.length), "crc");
  const badRanges = Buffer.from(rec);
  badRanges.writeUInt32LE(3, 16); // claims 3 ranges
  sealRecord(viewOf(badRanges), 0, badRanges.length);
  t.equal(checkRecord(badRanges, 0, rec.length), "ranges", "ranges that do not fill the record, even with a good checksum");
});

t.test("log format - file names carry the epoch", async (t) => {
  t.equal(logFileName(12), "redo.0000000000000012.log");
  t.equal(parseLogFileName("redo.0000000000000012.log"), 12);
  t.equal(parseLogFileName("redo.12.log"), null);
  t.equal(parseLogFileName("meta.seg"), null);
});

t.test("log format - scanLogFile reads records in order and stops at the first bad one", async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, logFileName(1));
  const recs = [1, 2, 3].map((s) => record(s, [[1, s, Buffer.alloc(s * 100, s)]]));
  fs.writeFileSync(file, Buffer.concat([encodeFileHeader({ epoch: 1, firstSeq: 1 }), ...recs, record(5, [])]));
  const seqs: number[] = [];
  const scan = await scanLogFile(file, null, (_buf, _at, _len, seq) => seqs.push(seq));
  t.same(seqs, [1, 2, 3]);
  t.equal(scan.records, 3);
  t.equal(scan.lastSeq, 3);
  t.same(scan.stop, { offset: FILE_HEADER_BYTES + recs.reduce((n, r) => n + r.length, 0), reason: "sequence" });
  t.equal(scan.end, scan.stop?.offset);
  const gap = await scanLogFile(file, 2, () => t.fail("a file that does not continue the sequence is not read"));
  t.same(gap.stop, { offset: 0, reason: "gap" });
  const empty = path.join(dir, "empty.log");
  fs.writeFileSync(empty, "");
  t.same((await scanLogFile(empty, null, null)).stop, { offset: 0, reason: "header" });
});

t.test("log format - a record larger than the read buffer is read whole", async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, logFileName(1));
  const big = record(1, [[1, 0, Buffer.alloc(9 << 20, 0xab)]]);
  fs.writeFileSync(file, Buffer.concat([encodeFileHeader({ epoch: 1, firstSeq: 1 }), big, record(2, [[1, 0, Buffer.from("z")]])]));
  let bytes = 0;
  const scan = await scanLogFile(file, null, (_b, _a, len) => (bytes += len));
  t.equal(scan.records, 2);
  t.equal(scan.stop, null);
  t.equal(bytes, big.length + recordLength(1, 1));
});

t.test("segment table - round trip through the file, ids never reused", async (t) => {
  const dir = t.testdir();
  const table = new SegmentTable(dir);
  t.equal(table.add("a"), 1);
  t.equal(table.add("ünï"), 2);
  table.remove("a");
  t.equal(table.add("a"), 3, "a new id for a re-created name");
  await table.save();
  const back = await SegmentTable.load(dir);
  t.same([...back.byName], [
    ["ünï", 2],
    ["a", 3],
  ]);
  t.equal(back.nextId, 4);
  t.equal(back.byId.get(3), "a");
  const empty = await SegmentTable.load(path.join(dir, "missing"));
  t.equal(empty.byName.size, 0, "a missing table is empty");
});

t.test("segment table - every damaged byte is detected (ECORRUPT)", async (t) => {
  const dir = t.testdir();
  const table = new SegmentTable(dir);
  table.add("meta");
  await table.save();
  const good = fs.readFileSync(path.join(dir, TABLE_FILE));
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i] = (bad[i] as number) ^ 0x10;
    fs.writeFileSync(path.join(dir, TABLE_FILE), bad);
    try {
      await SegmentTable.load(dir);
    } catch (err) {
      if (err instanceof RvmError && err.code === "ECORRUPT") refused++;
    }
  }
  t.equal(refused, good.length);
});

t.test("segment names - validation", async (t) => {
  for (const ok of ["a", "meta.idx", "x".repeat(200), "名前"]) t.doesNotThrow(() => validateSegmentName(ok), ok);
  for (const bad of ["", "/", "a/b", "..", "../a", "a\\b", "a\0", "x".repeat(201), "名".repeat(67)]) {
    t.throws(() => validateSegmentName(bad), { code: "EBADNAME" }, JSON.stringify(bad));
  }
});

t.test("log format - records straddling read chunks, and records larger than the headroom, are read whole", async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, logFileName(1));
  const sizes = [100_003, 7, 1_500_000, 65_536, 3_000_001, 12];
  const parts: Buffer[] = [encodeFileHeader({ epoch: 1, firstSeq: 1 })];
  const sums: number[] = [];
  let total = 0;
  for (let seq = 1; total < 24 << 20; seq++) {
    const n = sizes[seq % sizes.length] as number;
    const bytes = Buffer.alloc(n, seq & 0xff);
    sums.push(crc32(bytes));
    const rec = record(seq, [[1, 0, bytes]]);
    parts.push(rec);
    total += rec.length;
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  const got: number[] = [];
  let read = 0;
  const scan = await scanLogFile(
    file,
    null,
    (buf, at) => forEachRange(buf, at, (_id, _off, bytes) => got.push(crc32(bytes))),
    (n) => (read += n),
  );
  t.equal(scan.stop, null);
  t.equal(scan.records, sums.length);
  t.same(got, sums, "every record's bytes arrived intact and in order");
  t.equal(read, total + FILE_HEADER_BYTES, "progress counts every byte once, restarts included");
});
