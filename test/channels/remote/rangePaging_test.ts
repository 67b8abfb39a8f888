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
import { ChannelStore, type Page } from "../../../channels/persistence/channelStore.ts";
import { PendingLog } from "../../../channels/persistence/pendingLog.ts";
import { RECORD_HEADER } from "../../../channels/persistence/format.ts";
import { hostAndClient } from "./hostAndClient.ts";

/** Counts the items the host reads from disk and from pending logs while `read` runs. */
async function itemsRead<R>(read: () => Promise<R>): Promise<{ result: R; read: number }> {
  const storePage = ChannelStore.prototype.page;
  const logPage = PendingLog.prototype.page;
  let n = 0;
  ChannelStore.prototype.page = function (this: ChannelStore, lo: number, hi: number, limit: number): Page {
    const p = storePage.call(this, lo, hi, limit);
    n += p.items.length;
    return p;
  };
  PendingLog.prototype.page = function (this: PendingLog, lo: number, hi: number, limit: number): Page {
    const p = logPage.call(this, lo, hi, limit);
    n += p.items.length;
    return p;
  };
  try {
    return { result: await read(), read: n };
  } finally {
    ChannelStore.prototype.page = storePage;
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
  t.ok(read < 2 * n, `the host read ${read} items from disk and pending logs for ${n} (reading the rest of the range for each page would be many times that)`);
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
