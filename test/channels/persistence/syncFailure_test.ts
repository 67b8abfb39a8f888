/**
 * A failed data-file fdatasync (format.ts, section 5): the batch is rejected, and neither the
 * running store nor its durable marks may count the failed batch's bytes as on disk. The
 * failures are injected for chosen data files (syncInjection.ts); everything else is real
 * files and a real LRVM. A data-file write that fails after the batch created a file leaves no
 * trace of that file for later batches to commit into.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Runtime, nameToken } from "../../../index.ts";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { ChannelMeta } from "../../../channels/persistence/channelMeta.ts";
import { FileIndex } from "../../../channels/persistence/fileIndex.ts";
import { META_SIZE, indexBytes, indexSegment, metaSegment } from "../../../channels/persistence/format.ts";
import { injectSyncs } from "./syncInjection.ts";
import { DataFile } from "../../../channels/persistence/dataFile.ts";

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-sync-failure-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The committed state of a stopped store's one data file, read through the LRVM. */
async function committedState(dir: string, channel: string): Promise<{ count: number; mark: number; watermark: number; offsets: number[] }> {
  const token = nameToken(channel);
  const rvm = await Rvm.open(join(dir, "lrvm"));
  try {
    const meta = new ChannelMeta(await rvm.map(metaSegment(token), META_SIZE));
    const [file] = meta.files();
    const index = new FileIndex(await rvm.map(indexSegment(token, file.n), indexBytes(file.slots)));
    const offsets = Array.from({ length: index.count }, (_, i) => index.refAt(i).offset);
    return { count: index.count, mark: index.durable, watermark: file.watermark, offsets };
  } finally {
    await rvm.close();
  }
}

t.test("sync failure - a sync still in flight when an ordered batch fails does not raise the durable mark past what was synced", async (t) => {
  const dir = dataDir(t);
  const opts = { persist: { mode: "sync" as const } };
  let rt = await Runtime.start({ dataDir: dir });
  for (const name of ["A", "B", "C"]) await (await rt.channel<string>(name, opts)).put(`${name}1`, 1);
  await rt.stop();

  rt = await Runtime.start({ dataDir: dir });
  const a = await rt.channel<string>("A", opts);
  const b = await rt.channel<string>("B", opts);
  await rt.channel<string>("C", opts);
  const input = await rt.lookup<string>("C", { consumer: "stage" });
  const dirA = join(dir, "channels", nameToken("A"));
  const dirB = join(dir, "channels", nameToken("B"));
  let armed = true;
  injectSyncs(t, (path) => {
    if (!armed) return undefined;
    if (path.startsWith(`${dirA}/`)) return { delayMs: 300 }; // still running when B's fails
    if (path.startsWith(`${dirB}/`)) return { failWith: "EIO" };
    return undefined;
  });
  const big = "x".repeat(2000);
  await t.rejects(rt.commitStep({ input, taken: 1, outputs: [{ channel: a, value: big, ts: 2 }, { channel: b, value: big, ts: 2 }] }), { code: "EIO" }, "the step (ordered: two channels and a cursor) fails");
  armed = false;
  await new Promise((resolve) => setTimeout(resolve, 500)); // A's sync completes meanwhile
  await a.put("y", 3); // overlapped: its record goes where the failed step's began
  await rt.stop();

  const state = await committedState(dir, "A");
  t.equal(state.count, 2, "items 1 and 3");
  t.ok(state.mark <= state.offsets[1], `the mark (${state.mark}) is not above put 3's record (${state.offsets[1]}), which was not synced before its commit began`);
  t.ok(state.mark <= state.watermark);
});

t.test("sync failure - an overlapped put whose data sync fails after its commit is taken back, in the process and on disk", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir, onError: () => undefined });
  const ch = await rt.channel<string>("c", { persist: { mode: "sync" } });
  for (let ts = 1; ts <= 3; ts++) await ch.put(`v${ts}`, ts);
  const channelDir = join(dir, "channels", nameToken("c"));
  let fail = true;
  injectSyncs(t, (path) => {
    if (!fail || !path.startsWith(`${channelDir}/`)) return undefined;
    fail = false;
    return { failWith: "EIO" };
  });
  await t.rejects(ch.put("v4", 4), { code: "EIO" }, "the put is rejected");
  t.equal(ch.stats().stored?.items, 3, "the rejected item is not counted");
  t.same((await ch.get("oldest", "newest")).map((i) => i.ts), [1, 2, 3], "nor read");
  await t.rejects(ch.put("v4", 4), { code: "EIO" }, "a retry gets the journal's failure, not a duplicate timestamp");
  await rt.stop().catch(() => undefined);

  const state = await committedState(dir, "c");
  t.equal(state.count, 3, "the committed index holds items 1 to 3");
  const recordBytes = state.offsets[2] - state.offsets[1]; // every item here is as long
  t.equal(state.watermark, state.offsets[2] + recordBytes, "and the watermark is item 3's end");
  t.ok(state.mark <= state.watermark);
});

t.test("sync failure - a write that fails after creating a data file is forgotten whole: the next checkpoint's items survive a reopen", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir, onError: () => undefined });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<Uint8Array>("cam", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary" });
  // The first data-file write fails, as on a full disk: after the batch created data file 1.
  const write = DataFile.prototype.write;
  let failing = true;
  DataFile.prototype.write = function (this: DataFile, bytes, from, to) {
    if (!failing) return write.call(this, bytes, from, to);
    failing = false;
    return Promise.reject(Object.assign(new Error("ENOSPC: injected"), { code: "ENOSPC" }));
  };
  t.teardown(() => void (DataFile.prototype.write = write));
  for (let ts = 1; ts <= 10; ts++) await ch.put(Buffer.from(`frame ${ts}`), ts);
  await t.rejects(rt.checkpoint(), { code: "ENOSPC" }, "the first checkpoint fails");
  await rt.checkpoint();
  t.equal(ch.stats().stored?.items, 10, "the retry stored every item");
  await rt.stop();

  const again = await Runtime.start({ dataDir: dir });
  t.teardown(() => again.stop());
  const reopened = await again.channel<Uint8Array>("cam", { codec: "binary" });
  t.equal(reopened.stats().stored?.items, 10, "all 10 are there after a reopen");
  t.same((await reopened.get(7))?.value, Buffer.from("frame 7"));
  await again.stop();
  const state = await committedState(dir, "cam");
  t.equal(state.count, 10, "the committed table names the file that holds them");
});
