/**
 * Record chunks and the pending log: record checksums as the format gives them, set on this
 * thread or by the crc worker; records indexed into entries, within the count and byte
 * limits a data file leaves; and the pending log's reads, replacement, put order, absorb and
 * release.
 */
import { crc32 } from "node:zlib";
import t, { type Test } from "tap";
import { ENTRY_CRC_AT, ENTRY_LENGTH_AT, ENTRY_OFFSET_AT, ENTRY_SIZE, RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT, RECORD_MAGIC, RECORD_TS_AT } from "../../../channels/persistence/format.ts";
import { PendingLog } from "../../../channels/persistence/pendingLog.ts";
import { type RecordChunk, recordChunk, indexRecords } from "../../../channels/persistence/recordChunk.ts";
import { setRecordCrcs } from "../../../channels/persistence/recordCrcs.js";
import { MIN_CRC_JOB, crcsAhead, sharedBuffer } from "../../../channels/persistence/crcJobs.ts";

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const tss = (items: readonly { ts: number }[]): number[] => items.map((i) => i.ts);

/** The records of chunks, read back: ts, payload, and the crc field as written. */
function records(chunks: readonly RecordChunk[]): { ts: number; payload: Buffer }[] {
  const out: { ts: number; payload: Buffer }[] = [];
  for (const c of chunks) {
    for (let at = 0; at < c.length; ) {
      const b = c.bytes.subarray(at);
      const size = RECORD_HEADER + b.readUInt32LE(RECORD_LENGTH_AT);
      out.push({ ts: b.readDoubleLE(RECORD_TS_AT), payload: Buffer.from(b.subarray(RECORD_HEADER, size)) });
      at += size;
    }
  }
  return out;
}

t.test("records - a checksummed record carries crc32(length, ts, payload), and its entry points at it", async (t) => {
  for (const len of [0, 1, 255, 4096]) {
    const payload = bytes(len, len);
    const chunk = recordChunk(1_700_000_000_000_000 + len, payload);
    t.equal(chunk.bytes.readUInt32LE(RECORD_CRC_AT), 0, "encoded with its crc unset");
    setRecordCrcs(chunk.bytes, chunk.length);
    const entries = Buffer.alloc(ENTRY_SIZE);
    const s = indexRecords(chunk, 0, 1, Infinity, 1000, entries, -1);
    t.same(s, { end: RECORD_HEADER + len, count: 1, lastTs: 1_700_000_000_000_000 + len, ascending: true }, `${len} bytes`);
    const want = crc32(Buffer.concat([chunk.bytes.subarray(4, 16), payload]));
    t.equal(chunk.bytes.readUInt32LE(0), RECORD_MAGIC);
    t.equal(chunk.bytes.readUInt32LE(RECORD_CRC_AT), want, "the crc covers length, ts and payload");
    t.equal(entries.readDoubleLE(0), 1_700_000_000_000_000 + len);
    t.equal(entries.readDoubleLE(ENTRY_OFFSET_AT), 1000);
    t.equal(entries.readUInt32LE(ENTRY_LENGTH_AT), RECORD_HEADER + len);
    t.equal(entries.readUInt32LE(ENTRY_CRC_AT), want, "the entry's crc is the record's");
  }
});

t.test("records - indexing stops at the count and byte limits, but always takes one record", async (t) => {
  const log = new PendingLog();
  for (let ts = 1; ts <= 10; ts++) log.append(ts, bytes(100, ts));
  const [chunk] = log.chunks();
  setRecordCrcs(chunk.bytes, chunk.length);
  const entries = Buffer.alloc(10 * ENTRY_SIZE);
  const size = RECORD_HEADER + 100;
  t.same(indexRecords(chunk, 0, 3, Infinity, 0, entries, 0), { end: 3 * size, count: 3, lastTs: 3, ascending: true }, "by count");
  t.same(indexRecords(chunk, 3 * size, 10, 2 * size + 1, 3 * size, entries, 3), { end: 5 * size, count: 2, lastTs: 5, ascending: true }, "by bytes");
  t.equal(entries.readDoubleLE(ENTRY_OFFSET_AT + ENTRY_SIZE), 4 * size, "offsets continue from the file offset given");
  t.same(indexRecords(chunk, 5 * size, 10, 1, 0, entries, 5), { end: 6 * size, count: 1, lastTs: 6, ascending: true }, "one record even when it does not fit");
  t.same(indexRecords(chunk, 6 * size, 10, Infinity, 0, entries, 7), { end: 10 * size, count: 4, lastTs: 10, ascending: false }, "not above `after`: not ascending");
});

t.test("records - the pending log answers reads with the newest record of each timestamp", async (t) => {
  const log = new PendingLog();
  t.equal(log.size, 0);
  t.equal(log.at(1), undefined, "empty");
  t.same(log.page(0, 100, Infinity), { items: [], through: 100 });
  t.equal(log.firstAfter(-1), undefined);
  for (const ts of [10, 20, 30, 25, 5]) log.append(ts, bytes(8, ts));
  log.append(20, Buffer.from("newer"));
  t.equal(log.size, 5, "a replaced timestamp counts once");
  t.same(tss(log.page(0, 100, Infinity).items), [5, 10, 20, 25, 30], "in time order");
  t.same(log.page(6, 100, 2), { items: [log.at(10), log.at(20)], through: 20 }, "a page of 2: complete up to its last item");
  t.same(log.page(26, 100, 2).through, 100, "a page that reaches the end of the range: complete up to hi");
  t.same(log.at(20)?.payload, Buffer.from("newer"), "the newest record of a timestamp wins");
  t.same(log.firstAfter(10)?.payload, Buffer.from("newer"));
  t.same(log.at(25)?.payload, bytes(8, 25));
  t.ok(log.has(5));
  t.notOk(log.has(6));
  const copy = log.at(10)!.payload;
  copy.fill(0);
  t.same(log.at(10)?.payload, bytes(8, 10), "reads are copies");
  t.same(tss(records(log.chunks())), [10, 20, 30, 25, 5, 20], "chunks hold every record in put order");
});

t.test("records - the pending log spans buffers, absorbs a newer log and releases its buffers", async (t) => {
  const log = new PendingLog();
  const big = bytes(300_000, 7);
  for (let ts = 1; ts <= 40; ts++) log.append(ts, ts === 20 ? big : bytes(50_000, ts));
  const chunks = log.chunks();
  t.ok(chunks.length > 1, "more than one buffer");
  t.same(tss(records(chunks)), Array.from({ length: 40 }, (_, i) => i + 1), "in put order across buffers");
  t.equal(chunks.reduce((n, c) => n + c.count, 0), 40);
  t.same(log.at(20)?.payload, big, "a record larger than a buffer's growth step");
  t.same(log.at(40)?.payload, bytes(50_000, 40));
  const newer = new PendingLog();
  newer.append(3, Buffer.from("newer 3"));
  newer.append(41, Buffer.from("41"));
  log.absorb(newer);
  t.equal(log.size, 41);
  t.same(log.at(3)?.payload, Buffer.from("newer 3"), "the newer log's records win");
  t.same(tss(records(log.chunks())).slice(-2), [3, 41], "and come after this log's");
  log.release();
  t.equal(log.size, 0, "released: empty");
  t.equal(log.bytes, 0);
  t.same(log.chunks(), []);
  log.append(1, Buffer.from("again"));
  t.same(log.at(1)?.payload, Buffer.from("again"), "usable after release");
});

/** Every record of the chunks has crc32(bytes [4, 16) ++ payload), computed here with zlib alone. */
function checkCrcs(t: Test, chunks: readonly RecordChunk[]): void {
  let bad = 0;
  let n = 0;
  for (const c of chunks) {
    for (let at = 0; at < c.length; n++) {
      const len = c.bytes.readUInt32LE(at + RECORD_LENGTH_AT);
      const want = crc32(c.bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len), crc32(c.bytes.subarray(at + RECORD_LENGTH_AT, at + RECORD_CRC_AT)));
      if (c.bytes.readUInt32LE(at + RECORD_CRC_AT) !== want) bad++;
      at += RECORD_HEADER + len;
    }
  }
  t.equal(bad, 0, `all ${n} records carry their checksum`);
}

t.test("records - the crc worker sets the checksums of a pending log's buffers as they fill and when taken", async (t) => {
  const log = new PendingLog();
  const sizes = [0, 1, 17, 256, 1000, 4099];
  const n = 40_000;
  for (let i = 0; i < n; i++) log.append(1_700_000_000_000_000 + i, bytes(sizes[i % sizes.length], i));
  const chunks = log.chunks();
  t.ok(chunks.length > 2, `${chunks.length} buffers`);
  t.ok(chunks.every((c) => c.bytes.buffer instanceof SharedArrayBuffer), "on shared memory");
  const large = chunks.filter((c) => c.length >= MIN_CRC_JOB);
  t.ok(large.length > 2 && chunks.every((c) => (c.crcsSet !== undefined) === c.length >= MIN_CRC_JOB), "every buffer of MIN_CRC_JOB bytes or more went to the worker");
  t.same(await Promise.all(large.map((c) => c.crcsSet)), large.map(() => true), "and the worker set the checksums of each");
  checkCrcs(t, large);
  t.same(tss(records(chunks)).length, n);
});

t.test("records - the worker takes only large runs on shared memory; the caller sets the rest", async (t) => {
  t.equal(crcsAhead(Buffer.alloc(MIN_CRC_JOB * 2), MIN_CRC_JOB * 2), undefined, "not on a SharedArrayBuffer");
  t.equal(crcsAhead(sharedBuffer(MIN_CRC_JOB), MIN_CRC_JOB - 1), undefined, "below MIN_CRC_JOB");
  const log = new PendingLog();
  for (let ts = 1; ts <= 10; ts++) log.append(ts, bytes(100, ts));
  const chunks = log.chunks();
  t.equal(chunks.length, 1);
  t.equal(chunks[0].crcsSet, undefined, "a small checkpoint gets its checksums where it is written");
  t.equal(chunks[0].bytes.readUInt32LE(RECORD_CRC_AT), 0, "and has none yet");
});

t.test("records - a job the worker cannot do resolves false, and the worker goes on with the next", async (t) => {
  const bad = sharedBuffer(MIN_CRC_JOB);
  bad.writeUInt32LE(RECORD_MAGIC, 0);
  bad.writeUInt32LE(0xfffffff0, RECORD_LENGTH_AT); // a record running far past the buffer
  t.equal(await crcsAhead(bad, MIN_CRC_JOB), false, "refused: the caller sets the checksums itself");
  const log = new PendingLog();
  for (let ts = 1; log.bytes < 2 * MIN_CRC_JOB; ts++) log.append(ts, bytes(500, ts));
  const chunks = log.chunks().filter((c) => c.crcsSet !== undefined);
  t.ok(chunks.length > 0);
  t.same(await Promise.all(chunks.map((c) => c.crcsSet)), chunks.map(() => true), "the next jobs are done");
  checkCrcs(t, chunks);
});
