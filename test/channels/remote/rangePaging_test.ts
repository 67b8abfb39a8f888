/**
 * Remote range reads page through a channel's history: each page reads about its own items on
 * the host, not the whole rest of the range, across disk, checkpoint-pending items and the
 * live window, with replacements and out-of-order puts; and a damaged record on disk is
 * skipped without losing or repeating any other item. A real nats-server, a real store.
 */
import { openSync, readdirSync, closeSync, writeSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { nameToken } from "../../../index.ts";
import { ChannelStore, type StoredItem } from "../../../channels/persistence/channelStore.ts";
import type { Page } from "../../../channels/page.ts";
import { PendingLog } from "../../../channels/persistence/pendingLog.ts";
import { IDX_CAPACITY, RECORD_HEADER } from "../../../channels/persistence/format.ts";
import { hostAndClient } from "./hostAndClient.ts";

/** Counts the records the host loads from disk, and the items it takes from pending logs, while `read` runs. */
async function itemsRead<R>(read: () => Promise<R>): Promise<{ result: R; read: number }> {
  type LoadRun = (f: unknown, first: number, last: number) => unknown;
  const store = ChannelStore.prototype as unknown as { loadRun: LoadRun };
  const loadRun = store.loadRun;
  const logPage = PendingLog.prototype.page;
  let n = 0;
  store.loadRun = function (this: unknown, f: unknown, first: number, last: number) {
    n += last - first;
    return loadRun.call(this, f, first, last);
  };
  PendingLog.prototype.page = function (this: PendingLog, lo: number, hi: number, limit: number): Page<StoredItem> {
    const p = logPage.call(this, lo, hi, limit);
    n += p.items.length;
    return p;
  };
  try {
    return { result: await read(), read: n };
  } finally {
    store.loadRun = loadRun;
    PendingLog.prototype.page = logPage;
  }
}

const ITEM = 1000;
const valueOf = (ts: number, version = 0): Buffer => Buffer.alloc(ITEM, (ts * 7 + version) & 0xff);

t.test("range paging - a long remote range reads each item about once on the host, across disk, pending items and the window", async (t) => {
  const dir = t.testdir();
  const { host, client } = await hostAndClient(t, [], { dataDir: dir });
  const ch = await host.channel<Uint8Array>("history", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 300 }, onDuplicate: "replace" });
  const n = 6000;
  for (let ts = 1; ts <= 4000; ts++) await ch.put(valueOf(ts), ts);
  await host.checkpoint();
  for (let ts = 4001; ts <= n; ts += 2) await ch.put(valueOf(ts), ts);
  for (let ts = 4002; ts <= n; ts += 2) await ch.put(valueOf(ts), ts); // out of order, pending
  await ch.put(valueOf(10, 1), 10); // a pending replacement of an item on disk
  const remote = await client.lookup<Uint8Array>("history");
  const { result, read } = await itemsRead(() => remote.get(1, n));
  t.same(result.map((i) => i.ts), Array.from({ length: n }, (_, k) => k + 1), "every item once, in order");
  t.same(result[9].value, valueOf(10, 1), "the replacement wins");
  t.same(result[4999].value, valueOf(5000));
  t.ok(read < 1.5 * n, `the host read ${read} items from disk and pending logs for ${n} (reading the rest of the range for each page would be many times that)`);
});

t.test("range paging - a damaged record on disk is skipped, and no other item is lost or repeated", async (t) => {
  const dir = t.testdir();
  const { host, client } = await hostAndClient(t, [], { dataDir: dir, onError: () => undefined });
  const ch = await host.channel<Uint8Array>("damaged", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 10 } });
  const n = 3000;
  for (let ts = 1; ts <= n; ts++) await ch.put(valueOf(ts), ts);
  await host.checkpoint();
  // Flip one payload byte of item 1500's record (records are equal in size here).
  const files = join(dir, "channels", nameToken("damaged"));
  const fd = openSync(join(files, readdirSync(files).filter((f) => f.endsWith(".data"))[0]), "r+");
  writeSync(fd, Buffer.from([0xee]), 0, 1, 1499 * (RECORD_HEADER + ITEM) + RECORD_HEADER + 5);
  closeSync(fd);
  const remote = await client.lookup<Uint8Array>("damaged");
  const got = (await remote.get(1, n)).map((i) => i.ts);
  t.same(got, Array.from({ length: n }, (_, k) => k + 1).filter((ts) => ts !== 1500), "all but the damaged one, each once, in order");
});

t.test("range paging - many data files, and items large enough that a page holds only a few, are read about once", async (t) => {
  const dir = t.testdir();
  const { host, client } = await hostAndClient(t, [], { dataDir: dir });
  // Tiny items: data files roll every IDX_CAPACITY items, so the range spans several files.
  const tiny = await host.channel<Uint8Array>("tiny", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 10 } });
  const n = 140_000;
  const one = Buffer.from([1, 2, 3, 4]);
  for (let ts = 1; ts <= n; ts++) await tiny.put(one, ts);
  await host.checkpoint();
  const files = readdirSync(join(dir, "channels", nameToken("tiny"))).filter((f) => f.endsWith(".data")).length;
  t.ok(files >= Math.ceil(n / IDX_CAPACITY), `${files} data files`);
  const remoteTiny = await client.lookup<Uint8Array>("tiny");
  const small = await itemsRead(() => remoteTiny.get(1, n));
  t.equal(small.result.length, n, "every tiny item");
  t.ok(small.read < 1.5 * n, `read ${small.read} records for ${n} items across ${files} files`);

  const big = await host.channel<Uint8Array>("big", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 2 } });
  const m = 200;
  for (let ts = 1; ts <= m; ts++) await big.put(Buffer.alloc(64 * 1024, ts & 0xff), ts);
  await host.checkpoint();
  const remoteBig = await client.lookup<Uint8Array>("big");
  const large = await itemsRead(() => remoteBig.get(1, m));
  t.same(large.result.map((i) => i.ts), Array.from({ length: m }, (_, k) => k + 1), "every 64 KiB item, in order");
  t.ok(large.read < 1.5 * m, `read ${large.read} records for ${m} items of 64 KiB`);
});
