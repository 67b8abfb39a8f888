/**
 * Record chunks and the pending log: records sealed with the format's checksum and index
 * entries, within the count and byte limits a data file leaves; and the pending log's reads,
 * replacement, put order, absorb and release.
 */
import { crc32 } from "node:zlib";
import t from "tap";
import { ENTRY_CRC_AT, ENTRY_LENGTH_AT, ENTRY_OFFSET_AT, ENTRY_SIZE, RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT, RECORD_MAGIC, RECORD_TS_AT } from "../../../channels/persistence/format.ts";
import { PendingLog } from "../../../channels/persistence/pendingLog.ts";
import { type RecordChunk, recordChunk, sealRecords } from "../../../channels/persistence/recordChunk.ts";

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

t.test("records - a sealed record carries crc32(length, ts, payload), and its entry points at it", async (t) => {
  for (const len of [0, 1, 255, 4096]) {
    const payload = bytes(len, len);
    const chunk = recordChunk(1_700_000_000_000_000 + len, payload);
    const entries = Buffer.alloc(ENTRY_SIZE);
    const s = sealRecords(chunk, 0, 1, Infinity, 1000, entries, -1);
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

t.test("records - a seal stops at the count and byte limits, but always takes one record", async (t) => {
  const log = new PendingLog();
  for (let ts = 1; ts <= 10; ts++) log.append(ts, bytes(100, ts));
  const [chunk] = log.chunks();
  const entries = Buffer.alloc(10 * ENTRY_SIZE);
  const size = RECORD_HEADER + 100;
  t.same(sealRecords(chunk, 0, 3, Infinity, 0, entries, 0), { end: 3 * size, count: 3, lastTs: 3, ascending: true }, "by count");
  t.same(sealRecords(chunk, 3 * size, 10, 2 * size + 1, 3 * size, entries, 3), { end: 5 * size, count: 2, lastTs: 5, ascending: true }, "by bytes");
  t.equal(entries.readDoubleLE(ENTRY_OFFSET_AT + ENTRY_SIZE), 4 * size, "offsets continue from the file offset given");
  t.same(sealRecords(chunk, 5 * size, 10, 1, 0, entries, 5), { end: 6 * size, count: 1, lastTs: 6, ascending: true }, "one record even when it does not fit");
  t.same(sealRecords(chunk, 6 * size, 10, Infinity, 0, entries, 7), { end: 10 * size, count: 4, lastTs: 10, ascending: false }, "not above `after`: not ascending");
});

t.test("records - the pending log answers reads with the newest record of each timestamp", async (t) => {
  const log = new PendingLog();
  t.equal(log.size, 0);
  t.equal(log.at(1), undefined, "empty");
  t.same(log.range(0, 100), []);
  t.equal(log.firstAfter(-1), undefined);
  for (const ts of [10, 20, 30, 25, 5]) log.append(ts, bytes(8, ts));
  log.append(20, Buffer.from("newer"));
  t.equal(log.size, 5, "a replaced timestamp counts once");
  t.same(tss(log.range(0, 100)), [5, 10, 20, 25, 30], "in time order");
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
