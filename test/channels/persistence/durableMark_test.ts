/**
 * The durable mark (format.ts, sections 4 and 5): a batch of appends syncs its data file while
 * its LRVM transaction commits, so a power loss can leave committed index entries whose records
 * never reached the disk. These tests build such states on disk, through the LRVM itself (a
 * SIGKILL cannot: the page cache survives it), and show that reopening keeps every item below
 * the mark and every intact one past it, and cuts a torn tail cleanly, with everything after
 * it. They also pin the upgrade of a version 1 store and the refusal of an unknown version,
 * and the zeros a data file holds past its records while it runs (dataFile.ts, zeroAhead).
 */
import fs, { closeSync, ftruncateSync, mkdtempSync, openSync, readlinkSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Runtime, StoreCorruptError, nameToken } from "../../../index.ts";
import { Rvm, type Segment } from "../../../runtime/lrvm/index.ts";
import { ChannelMeta } from "../../../channels/persistence/channelMeta.ts";
import { FileIndex } from "../../../channels/persistence/fileIndex.ts";
import { IDX_DURABLE_AT, META_SIZE, RECORD_HEADER, dataFileName, indexBytes, indexSegment, metaSegment } from "../../../channels/persistence/format.ts";
import { injectSyncs } from "./syncInjection.ts";
import { syncStore } from "./syncStore.ts";

const CHANNEL = "cam";
const ITEMS = 10;
const payload = (ts: number): string => `frame-${ts}`.padEnd(40, "x");

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-durable-mark-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A stopped store holding items 1..ITEMS, each put alone (one batch each). */
function storeOfTen(dir: string): Promise<void> {
  return syncStore(dir, CHANNEL, Array.from({ length: ITEMS }, (_, i) => payload(i + 1)));
}

type Mapped = { rvm: Rvm; meta: ChannelMeta; index: FileIndex; dataPath: string };

/** Maps the channel's meta and its one index through the LRVM, as a stopped runtime left them. */
async function mapStore(dir: string): Promise<Mapped> {
  const token = nameToken(CHANNEL);
  const rvm = await Rvm.open(join(dir, "lrvm"));
  const meta = new ChannelMeta(await rvm.map(metaSegment(token), META_SIZE));
  const [file] = meta.files();
  const index = new FileIndex(await rvm.map(indexSegment(token, file.n), indexBytes(file.slots)));
  return { rvm, meta, index, dataPath: join(dir, "channels", token, dataFileName(file.n)) };
}

/** Commits bytes [offset, offset + length) of each given segment's buffer, then closes the LRVM. */
async function commitAndClose(m: Mapped, ranges: { seg: Segment; offset: number; length: number }[]): Promise<void> {
  const tx = m.rvm.begin({ restore: false });
  for (const r of ranges) tx.setRange(r.seg, r.offset, r.length);
  await tx.commit({ flush: true });
  await m.rvm.close();
}

/** Sets the durable mark to the offset of the record at ts, as if that record's batch had been overlapped. */
async function markAt(dir: string, ts: number): Promise<{ dataPath: string; offsetOf: (ts: number) => number }> {
  const m = await mapStore(dir);
  const offsets = Array.from({ length: m.index.count }, (_, i) => m.index.refAt(i).offset);
  const offsetOf = (at: number) => offsets[at - 1];
  m.index.seg.data.writeDoubleLE(offsetOf(ts), IDX_DURABLE_AT);
  await commitAndClose(m, [{ seg: m.index.seg, offset: IDX_DURABLE_AT, length: 8 }]);
  return { dataPath: m.dataPath, offsetOf };
}

async function reopen(t: Test, dir: string): Promise<{ rt: Runtime; tss: number[]; reports: string[]; corrupt: number | undefined }> {
  const reports: string[] = [];
  const rt = await Runtime.start({ dataDir: dir, onError: (err) => reports.push(`${(err as StoreCorruptError).code}: ${(err as Error).message}`) });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<string>(CHANNEL);
  const items = await ch.get("oldest", "newest");
  for (const item of items) t.equal(item.value, payload(item.ts), `item ${item.ts} intact`);
  return { rt, tss: items.map((i) => i.ts), reports, corrupt: ch.stats().stored?.corrupt };
}

/**
 * A stopped store of ten whose mark is at record 6, as if power failed while the last batch
 * (6 to 10) synced: records 6 and 7 reached the disk, record 8 half, 9 and 10 not at all.
 */
async function tornAtEight(dir: string): Promise<{ offsetOf: (ts: number) => number }> {
  await storeOfTen(dir);
  const { dataPath, offsetOf } = await markAt(dir, 6);
  const fd = openSync(dataPath, "r+");
  ftruncateSync(fd, offsetOf(8) + RECORD_HEADER + 5);
  closeSync(fd);
  return { offsetOf };
}

/** Overwrites one byte of the file: a record's bytes that are not what was written. */
function garble(path: string, at: number): void {
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.from("#"), 0, 1, at);
  closeSync(fd);
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

t.test("durable mark - a sync put's batch is overlapped: the mark is the end of the batch before it", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const m = await mapStore(dir);
  t.equal(m.index.count, ITEMS);
  t.equal(m.index.durable, m.index.refAt(ITEMS - 1).offset, "the last batch's record lies past the mark");
  t.equal(m.meta.files()[0].watermark, m.index.refAt(ITEMS - 1).offset + m.index.refAt(ITEMS - 1).length);
  await m.rvm.close();
});

t.test("durable mark - a batch of more than 1 MiB is synced before its commit: nothing past the mark", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>(CHANNEL, { persist: { mode: "checkpoint", everyMs: 3_600_000 } });
  const big = "x".repeat(2048);
  await ch.put(big, 1);
  await rt.checkpoint(); // creates the data file: ordered
  for (let ts = 2; ts <= 1000; ts++) await ch.put(big, ts);
  await rt.checkpoint(); // ~2 MiB of appends to the file
  await rt.stop();
  const m = await mapStore(dir);
  t.equal(m.index.count, 1000);
  t.equal(m.index.durable, m.meta.files()[0].watermark, "the large batch was ordered");
  await m.rvm.close();
});

t.test("durable mark - intact records past the mark are kept, and nothing is reported", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  await markAt(dir, 6);
  const { rt, tss, reports, corrupt } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS));
  t.same(reports, []);
  t.equal(corrupt, 0);
  await rt.stop();
  const m = await mapStore(dir);
  t.equal(m.index.durable, m.meta.files()[0].watermark, "checked and synced at open: the mark moved up to the watermark");
  await m.rvm.close();
});

t.test("durable mark - records past the mark that never reached the disk are cut as a torn tail, not reported as damage", async (t) => {
  const dir = dataDir(t);
  await tornAtEight(dir);

  const first = await reopen(t, dir);
  t.same(first.tss, upTo(7), "every item below the mark, and the intact ones past it");
  t.match(first.reports.join("\n"), /recovered: \d+ uncommitted bytes cut/);
  t.notMatch(first.reports.join("\n"), /damaged/);
  t.equal(first.corrupt, 0);
  const ch = await first.rt.channel<string>(CHANNEL);
  await ch.put(payload(8), 8);
  await first.rt.stop();

  const second = await reopen(t, dir);
  t.same(second.tss, upTo(8), "the cut was committed; appends continue after it");
  t.same(second.reports, [], "nothing left to cut");
});

t.test("durable mark - intact records past the mark are written again at open before they are synced", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const { dataPath } = await markAt(dir, 6);
  // After a failed writeback the pages are clean: an fdatasync alone would write nothing.
  const past = new Date("2001-01-01T00:00:00Z");
  utimesSync(dataPath, past, past);
  const { rt, tss } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS));
  t.ok(statSync(dataPath).mtimeMs > past.getTime() + 1000, "the bytes past the mark were written");
  await rt.stop();
});

t.test("durable mark - a torn tail's intact head is synced before the cut commits: a failing sync fails the open and commits nothing", async (t) => {
  const dir = dataDir(t);
  const { offsetOf } = await tornAtEight(dir);
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  let fail = true;
  injectSyncs(t, (path) => (fail && path.startsWith(`${channelDir}/`) ? { failWith: "EIO" } : undefined));
  const rt = await Runtime.start({ dataDir: dir, onError: () => undefined });
  await t.rejects(rt.channel<string>(CHANNEL), { code: "EIO" }, "records 6 and 7 could not be made durable");
  await rt.stop();
  const m = await mapStore(dir);
  t.equal(m.index.count, ITEMS, "no cut committed");
  t.equal(m.index.durable, offsetOf(6), "nor a mark over records 6 and 7");
  await m.rvm.close();
  fail = false;
  const { tss } = await reopen(t, dir);
  t.same(tss, upTo(7), "a later open with a working disk cuts the tail");
});

t.test("durable mark - a garbled record past the mark is cut together with every record after it", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const { dataPath, offsetOf } = await markAt(dir, 6);
  garble(dataPath, offsetOf(7) + RECORD_HEADER + 2);

  const { tss, reports, corrupt } = await reopen(t, dir);
  t.same(tss, upTo(6), "records 8..10 are intact but lie after the tear");
  t.match(reports.join("\n"), /uncommitted bytes cut/);
  t.equal(corrupt, 0);
});

t.test("durable mark - a garbled record below the mark stays damage: skipped and reported, the rest kept", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const { dataPath, offsetOf } = await markAt(dir, 6);
  garble(dataPath, offsetOf(3) + RECORD_HEADER + 2);

  const { tss, reports } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS).filter((ts) => ts !== 3));
  t.match(reports.join("\n"), /PTS_STORE_CORRUPT: .*ts 3 .*damaged/);
  t.notMatch(reports.join("\n"), /uncommitted bytes cut/);
});

t.test("zeros written ahead - a running store's data file runs past its records; a stop cuts them; open cuts them silently", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>(CHANNEL, { persist: { mode: "sync" } });
  for (let ts = 1; ts <= ITEMS; ts++) await ch.put(payload(ts), ts);
  const dataPath = join(dir, "channels", nameToken(CHANNEL), dataFileName(1));
  const written = ch.stats().stored!.bytes;
  t.ok(statSync(dataPath).size > written, "zeros lie past the records while the store runs");
  await rt.stop();
  t.equal(statSync(dataPath).size, written, "a stop cuts them");
  // What a crash leaves: zeros past the watermark.
  const fd = openSync(dataPath, "r+");
  ftruncateSync(fd, written + 4096);
  closeSync(fd);
  const { tss, reports } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS));
  t.same(reports, [], "zeros hold nothing: no report");
  t.equal(statSync(dataPath).size, written, "and they are cut");
});

t.test("zeros written ahead - what a crash left past the watermark is reported without the zeros after it", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const dataPath = join(dir, "channels", nameToken(CHANNEL), dataFileName(1));
  const written = statSync(dataPath).size;
  const torn = Buffer.from("half a record that never committed");
  const fd = openSync(dataPath, "r+");
  writeSync(fd, torn, 0, torn.byteLength, written);
  ftruncateSync(fd, written + 1024 * 1024); // and the zeros written ahead of it
  closeSync(fd);
  const { tss, reports } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS));
  t.match(reports.join("\n"), new RegExp(`recovered: ${torn.byteLength} uncommitted bytes cut`));
  t.equal(statSync(dataPath).size, written, "all of it is cut");
});

t.test("zeros written ahead - a disk without room for them still takes records that fit", async (t) => {
  const dir = dataDir(t);
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  // The kernel's answer to a write past the free space: ENOSPC, thrown by writeSync.
  const real = fs.writeSync;
  const full = (...args: unknown[]): number => {
    const [fd, , , length] = args;
    if (typeof fd === "number" && length === 1024 * 1024 && readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${channelDir}/`)) {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    return Reflect.apply(real, fs, args) as number;
  };
  Object.assign(fs, { writeSync: full });
  t.teardown(() => Object.assign(fs, { writeSync: real }));
  const rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>(CHANNEL, { persist: { mode: "sync" } });
  for (let ts = 1; ts <= 3; ts++) await ch.put(payload(ts), ts);
  t.equal(statSync(join(channelDir, dataFileName(1))).size, ch.stats().stored!.bytes, "no zeros past the records");
  await rt.stop();
  const { tss } = await reopen(t, dir);
  t.same(tss, upTo(3));
});

t.test("durable mark - a version 1 store is upgraded at open: its watermark is its durable mark", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  // Version 1: version fields 1, and the index header's bytes [16, 32) reserved, zero.
  const m = await mapStore(dir);
  m.meta.seg.data.writeUInt32LE(1, 4);
  m.index.seg.data.writeUInt32LE(1, 4);
  m.index.seg.data.writeDoubleLE(0, IDX_DURABLE_AT);
  const dataPath = m.dataPath;
  const third = m.index.refAt(2).offset;
  await commitAndClose(m, [
    { seg: m.meta.seg, offset: 4, length: 4 },
    { seg: m.index.seg, offset: 4, length: IDX_DURABLE_AT + 4 },
  ]);
  // Damage below a version 1 watermark is damage, never the start of a torn tail.
  garble(dataPath, third + RECORD_HEADER + 2);

  const { rt, tss, reports } = await reopen(t, dir);
  t.same(tss, upTo(ITEMS).filter((ts) => ts !== 3));
  t.match(reports.join("\n"), /ts 3 .*damaged/);
  t.notMatch(reports.join("\n"), /uncommitted bytes cut/);
  await rt.stop();

  const after = await mapStore(dir);
  t.equal(after.meta.version, 2, "meta upgraded");
  t.equal(after.index.version, 2, "index upgraded");
  t.equal(after.index.durable, after.meta.files()[0].watermark, "durable mark = watermark");
  await after.rvm.close();
});

t.test("durable mark - a store of an unknown version is refused, not guessed at", async (t) => {
  const dir = dataDir(t);
  await storeOfTen(dir);
  const m = await mapStore(dir);
  m.meta.seg.data.writeUInt32LE(3, 4);
  await commitAndClose(m, [{ seg: m.meta.seg, offset: 4, length: 4 }]);
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  await t.rejects(rt.channel(CHANNEL), StoreCorruptError);
});
