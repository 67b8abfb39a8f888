/**
 * History of persistent channels: queries that span the data files on disk and the live window
 * after a reopen, iteration from history into live puts, history retention dropping whole data
 * files, the persist trigger, and out-of-order and duplicate puts against items on disk.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import type { Test } from "tap";
import { DuplicateTimestampError, Runtime, nameToken } from "../../../index.ts";
import type { Channel, ChannelOptions, Item } from "../../../index.ts";
import { rejection } from "../../helpers.ts";

/** Items per data file (format.ts IDX_CAPACITY): the 65,537th item opens a new file. */
const FILE_ITEMS = 65_536;
const T0 = 1_700_000_000_000_000;
/** Item i is at T0 + i ms. */
const tsOf = (i: number): number => T0 + i * 1000;
const tss = (items: readonly Item<unknown>[]): number[] => items.map((i) => i.ts);
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, k) => tsOf(lo + k));

function dataDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pts-history-test-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A runtime on dir, stopped when the test ends (stop is idempotent, so a test may stop it first). */
async function start(t: Test, dir: string): Promise<Runtime> {
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  return rt;
}

/** Puts items lo..hi (value = item number) with `concurrency` producers; group commit batches them. */
async function fill(ch: Channel<number>, lo: number, hi: number, concurrency = 1): Promise<void> {
  let next = lo;
  const producer = async () => {
    for (let i = next++; i <= hi; i = next++) await ch.put(i, tsOf(i));
  };
  await Promise.all(Array.from({ length: concurrency }, producer));
}

/** Tiny binary items, so that data files roll by item count without writing much. */
async function fillBytes(ch: Channel<Uint8Array>, lo: number, hi: number): Promise<void> {
  const one = Buffer.from([7]);
  let next = lo;
  const producer = async () => {
    for (let i = next++; i <= hi; i = next++) await ch.put(one, tsOf(i));
  };
  await Promise.all(Array.from({ length: 4096 }, producer));
}

function dataFiles(dir: string, name: string): string[] {
  return fs
    .readdirSync(path.join(dir, "channels", nameToken(name)))
    .filter((f) => f.endsWith(".data"))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
}

const SMALL: ChannelOptions<number> = { persist: { mode: "sync" }, retain: { count: 10 } };

/** A channel with items 0..99 on disk, reopened with a live window of the newest 10. */
async function reopened(t: Test): Promise<{ rt: Runtime; ch: Channel<number>; dir: string }> {
  const dir = dataDir(t);
  const first = await start(t, dir);
  await fill(await first.channel<number>("h", SMALL), 0, 99, 8);
  await first.stop();
  const rt = await start(t, dir);
  return { rt, ch: await rt.channel<number>("h", { retain: { count: 10 } }), dir };
}

t.test("history - get(ts) after reopen answers from disk and from the live window", async (t) => {
  const { ch } = await reopened(t);
  t.same(ch.stats().items, 10, "the live window holds only the newest 10");
  t.same(await ch.get(tsOf(0)), { ts: tsOf(0), value: 0 }, "the oldest item, from disk");
  t.same(await ch.get(tsOf(45)), { ts: tsOf(45), value: 45 }, "an item from the middle, from disk");
  t.same(await ch.get(tsOf(95)), { ts: tsOf(95), value: 95 }, "an item of the live window");
  t.equal(await ch.get(tsOf(45) + 1), undefined, "nothing between two items");
  t.equal(await ch.get(tsOf(100)), undefined, "nothing after the newest");
});

t.test("history - get(lo, hi) spans disk and the live window in one call, in order", async (t) => {
  const { ch } = await reopened(t);
  t.same(tss(await ch.get(tsOf(80), tsOf(95))), range(80, 95));
  t.same((await ch.get(tsOf(80), tsOf(95))).map((i) => i.value), Array.from({ length: 16 }, (_, k) => 80 + k));
  t.same(tss(await ch.get("oldest", "newest")), range(0, 99), "the whole history");
  t.same(tss(await ch.get(tsOf(3) - 500, tsOf(5) + 500)), range(3, 5), "bounds between items");
  t.same(await ch.get(tsOf(200), tsOf(300)), [], "a range past the newest is empty");
  await ch.put(100, tsOf(100));
  t.same(tss(await ch.get(tsOf(0), "newest")), range(0, 100), "a live put joins the same answer");
});

t.test("history - get(\"oldest\") and get(\"newest\") after reopen", async (t) => {
  const { ch } = await reopened(t);
  t.same(await ch.get("oldest"), { ts: tsOf(0), value: 0 });
  t.same(await ch.get("newest"), { ts: tsOf(99), value: 99 });
  await ch.put(100, tsOf(100));
  t.same(await ch.get("newest"), { ts: tsOf(100), value: 100 });
  t.same(await ch.get("oldest"), { ts: tsOf(0), value: 0 }, "the oldest is still on disk");
});

t.test("history - next(afterTs) walks from disk into the live window and then waits", async (t) => {
  const { ch } = await reopened(t);
  t.same(await ch.next(tsOf(0)), { ts: tsOf(1), value: 1 });
  t.same(await ch.next(tsOf(50) - 1), { ts: tsOf(50), value: 50 });
  t.same(await ch.next(tsOf(89)), { ts: tsOf(90), value: 90 }, "from the last item on disk to the first of the window");
  const waiting = ch.next(tsOf(99));
  await ch.put(100, tsOf(100));
  t.same(await waiting, { ts: tsOf(100), value: 100 }, "a live put wakes it");
});

t.test("history - items({ from, follow }) goes from history into live puts with no gap and no duplicate", async (t) => {
  const { ch } = await reopened(t);
  const seen: number[] = [];
  const done = (async () => {
    for await (const item of ch.items({ from: tsOf(40), follow: true })) {
      seen.push(item.ts);
      if (item.ts === tsOf(49)) {
        // While the iterator is still in history, live puts arrive.
        for (let i = 100; i < 110; i++) await ch.put(i, tsOf(i));
      }
      if (item.ts === tsOf(119)) break;
    }
  })();
  while (!seen.includes(tsOf(109))) await new Promise((resolve) => setImmediate(resolve));
  for (let i = 110; i < 120; i++) await ch.put(i, tsOf(i));
  await done;
  t.same(seen, range(40, 119));
});

t.test("history - items({ from: \"oldest\", to }) without follow ends at the bound", async (t) => {
  const { ch } = await reopened(t);
  const seen: number[] = [];
  for await (const item of ch.items({ from: "oldest", to: tsOf(94) })) seen.push(item.ts);
  t.same(seen, range(0, 94));
});

t.test("history - retention by ms drops whole data files and their items", async (t) => {
  const dir = dataDir(t);
  const rt = await start(t, dir);
  // Keep 70 s of history: items are 1 ms apart, so the first file (items 0..65535) falls out
  // once the newest item is past 65535 + 70000.
  const ch = await rt.channel<Uint8Array>("aged", { persist: { mode: "sync", history: { ms: 70_000 } }, codec: "binary", retain: { count: 10 } });
  await fillBytes(ch, 0, 2 * FILE_ITEMS + 999);
  t.same(dataFiles(dir, "aged"), ["1.data", "2.data", "3.data"], "three files before the drop");
  await fillBytes(ch, 2 * FILE_ITEMS + 1000, FILE_ITEMS + 70_001);
  await ch.put(Buffer.from([7]), tsOf(FILE_ITEMS + 70_002));
  t.same(dataFiles(dir, "aged"), ["2.data", "3.data"], "the first file is gone from the channel's directory");
  t.equal(await ch.get(tsOf(0)), undefined, "its items are gone");
  t.equal(await ch.get(tsOf(FILE_ITEMS - 1)), undefined);
  t.equal((await ch.get("oldest"))?.ts, tsOf(FILE_ITEMS), "the oldest item is the second file's first");
  t.same(tss(await ch.get(tsOf(FILE_ITEMS - 5), tsOf(FILE_ITEMS + 2))), range(FILE_ITEMS, FILE_ITEMS + 2));
  await rt.stop();

  const again = await start(t, dir);
  const reopenedCh = await again.channel<Uint8Array>("aged", { retain: { count: 10 } });
  t.equal(await reopenedCh.get(tsOf(10)), undefined, "still gone after reopen");
  t.equal((await reopenedCh.get("oldest"))?.ts, tsOf(FILE_ITEMS));
  t.equal(reopenedCh.stats().stored?.items, 70_003, "the kept files' items: 65536 .. 135538");
});

t.test("history - retention by bytes drops the oldest whole data files", async (t) => {
  const dir = dataDir(t);
  const rt = await start(t, dir);
  // A record of a 1-byte item is 21 bytes, so a full file is 1,376,256 bytes: 2,000,000 bytes
  // hold one full file and a partial one, not two full ones.
  const ch = await rt.channel<Uint8Array>("sized", { persist: { mode: "sync", history: { bytes: 2_000_000 } }, codec: "binary", retain: { count: 10 } });
  await fillBytes(ch, 0, 2 * FILE_ITEMS + 99);
  t.same(dataFiles(dir, "sized"), ["2.data", "3.data"], "the first file is gone from the channel's directory");
  t.equal(await ch.get(tsOf(0)), undefined, "its items are gone");
  t.equal((await ch.get("oldest"))?.ts, tsOf(FILE_ITEMS));
  t.ok((ch.stats().stored?.bytes ?? Infinity) <= 2_000_000, "what is kept is within the limit");
  t.same((await ch.get(tsOf(FILE_ITEMS), tsOf(FILE_ITEMS + 3))).length, 4, "the second file's items are all there");
});

t.test("history - a persist trigger stores a pickled value while the live window keeps the original", async (t) => {
  type Frame = { id: number; pixels: string; thumbnail?: boolean };
  const dir = dataDir(t);
  const rt = await start(t, dir);
  const ch = await rt.channel<Frame>("frames", { persist: { mode: "sync" }, retain: { count: 2 } });
  const seen: number[] = [];
  ch.on("persist", (item) => {
    seen.push(item.ts);
    return { id: item.value.id, pixels: item.value.pixels.slice(0, 2), thumbnail: true };
  });
  for (let i = 0; i < 5; i++) await ch.put({ id: i, pixels: "abcdefgh" }, tsOf(i));
  t.same(seen, range(0, 4), "the trigger ran once per put");
  t.same((await ch.get(tsOf(4)))?.value, { id: 4, pixels: "abcdefgh" }, "the live window keeps the original");
  t.same((await ch.get(tsOf(0)))?.value, { id: 0, pixels: "ab", thumbnail: true }, "an item that left the window is read back pickled from disk");
  await rt.stop();

  const again = await start(t, dir);
  const reread = await again.channel<Frame>("frames", { retain: { count: 2 } });
  t.same((await reread.get("oldest", "newest")).map((i) => i.value), Array.from({ length: 5 }, (_, i) => ({ id: i, pixels: "ab", thumbnail: true })), "after reopen every item is the pickled one");
});

t.test("history - a persist trigger that returns undefined stores the item as it is", async (t) => {
  const dir = dataDir(t);
  const rt = await start(t, dir);
  const ch = await rt.channel<number>("plain", { persist: { mode: "sync" }, retain: { count: 1 } });
  ch.on("persist", () => undefined);
  await fill(ch, 0, 3);
  t.same(await ch.get(tsOf(0)), { ts: tsOf(0), value: 0 });
});

/** A channel with items 10..20 on disk, reopened with the given duplicate policy and a window of 2. */
async function onDisk(t: Test, onDuplicate: "reject" | "replace" | "keep-first"): Promise<{ dir: string; rt: Runtime; ch: Channel<number> }> {
  const dir = dataDir(t);
  const first = await start(t, dir);
  await fill(await first.channel<number>("d", { persist: { mode: "sync" }, retain: { count: 2 }, onDuplicate }), 10, 20);
  await first.stop();
  const rt = await start(t, dir);
  return { dir, rt, ch: await rt.channel<number>("d", { persist: { mode: "sync" }, retain: { count: 2 }, onDuplicate }) };
}

/** Stops `rt` and reopens its data directory: what is read now comes from disk. */
async function reread(t: Test, dir: string, previous: Runtime): Promise<Channel<number>> {
  await previous.stop();
  const rt = await start(t, dir);
  return rt.channel<number>("d", { retain: { count: 2 } });
}

t.test("history - an out-of-order put older than everything on disk is stored in order", async (t) => {
  const { dir, rt, ch } = await onDisk(t, "reject");
  await ch.put(5, tsOf(5));
  await ch.put(155, tsOf(15) + 500);
  t.same(await ch.get(tsOf(5)), { ts: tsOf(5), value: 5 });
  t.same(tss(await ch.get(tsOf(0), tsOf(11))), [tsOf(5), tsOf(10), tsOf(11)]);
  t.same(tss(await ch.get(tsOf(15), tsOf(16))), [tsOf(15), tsOf(15) + 500, tsOf(16)]);
  t.equal((await ch.get("oldest"))?.ts, tsOf(5));
  const later = await reread(t, dir, rt);
  t.same(tss(await later.get("oldest", "newest")), [tsOf(5), ...range(10, 15), tsOf(15) + 500, ...range(16, 20)], "in order after reopen");
});

t.test("history - onDuplicate reject refuses a timestamp already on disk", async (t) => {
  const { dir, rt, ch } = await onDisk(t, "reject");
  const err = await rejection(t, ch.put(999, tsOf(12)));
  t.type(err, DuplicateTimestampError);
  t.equal((err as DuplicateTimestampError).code, "PTS_DUPLICATE_TIMESTAMP");
  await rejection(t, ch.put(999, tsOf(20)));
  t.same(await ch.get(tsOf(12)), { ts: tsOf(12), value: 12 }, "the stored item is unchanged");
  const later = await reread(t, dir, rt);
  t.same((await later.get("oldest", "newest")).map((i) => i.value), range(10, 20).map((_, k) => 10 + k), "nothing was added");
});

t.test("history - onDuplicate replace replaces an item on disk, leaving one item at that timestamp", async (t) => {
  const { dir, rt, ch } = await onDisk(t, "replace");
  await ch.put(1200, tsOf(12));
  t.same(await ch.get(tsOf(12)), { ts: tsOf(12), value: 1200 });
  t.same((await ch.get(tsOf(11), tsOf(13))).map((i) => i.value), [11, 1200, 13], "one item at that timestamp");
  const later = await reread(t, dir, rt);
  t.same(await later.get(tsOf(12)), { ts: tsOf(12), value: 1200 }, "the replacement survives a reopen");
  t.same(tss(await later.get("oldest", "newest")), range(10, 20), "no duplicate after reopen");
  t.equal(later.stats().stored?.items, 11);
});

t.test("history - onDuplicate keep-first keeps the item on disk and drops the new put", async (t) => {
  const { dir, rt, ch } = await onDisk(t, "keep-first");
  await ch.put(1200, tsOf(12));
  t.same(await ch.get(tsOf(12)), { ts: tsOf(12), value: 12 });
  const later = await reread(t, dir, rt);
  t.same(await later.get(tsOf(12)), { ts: tsOf(12), value: 12 }, "the first item survives a reopen");
  t.equal(later.stats().stored?.items, 11);
});

t.test("history - an empty persistent channel reopens empty", async (t) => {
  const dir = dataDir(t);
  const first = await start(t, dir);
  await first.channel<number>("empty", SMALL);
  await first.stop();
  const rt = await start(t, dir);
  const ch = await rt.channel<number>("empty");
  t.equal(await ch.get("oldest"), undefined);
  t.equal(await ch.get("newest"), undefined);
  t.same(await ch.get("oldest", "newest"), []);
  t.same(await ch.get(tsOf(0), tsOf(10)), []);
});

t.test("history - a reopened live window is decoded only when read", async (t) => {
  const dir = dataDir(t);
  let decoded = 0;
  const counting = { name: "counting-json", encode: (v: number) => Buffer.from(JSON.stringify(v)), decode: (b: Uint8Array) => (decoded++, JSON.parse(Buffer.from(b).toString()) as number) };
  const first = await start(t, dir);
  await fill(await first.channel<number>("lazy", { persist: { mode: "sync" }, codec: counting, retain: { count: 500 } }), 0, 999, 8);
  await first.stop();
  const again = await start(t, dir);
  decoded = 0;
  const ch = await again.channel<number>("lazy", { codec: counting, retain: { count: 500, bytes: 1_000_000 } });
  t.equal(decoded, 0, "opening loaded the window without decoding it");
  t.same(tss(await ch.get(tsOf(500), tsOf(999))), range(500, 999), "the window holds the newest 500 items");
  t.equal((await ch.get(tsOf(700)))?.value, 700, "values read back");
  t.ok(decoded > 0 && decoded <= 501, `reads decode what they return (${decoded})`);
});
