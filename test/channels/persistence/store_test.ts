import { appendFileSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { ChannelOptionsMismatchError, DuplicateTimestampError, InvalidOptionError, Runtime, StoreCorruptError, nameToken } from "../../../index.ts";
import { RECORD_HEADER } from "../../../channels/persistence/format.ts";

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-store-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test("persist - sync puts survive a stop and reopen, with every get variant", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<{ n: number }>("video channel", { persist: { mode: "sync" }, retain: { count: 10 } });
  await Promise.all([30, 10, 20].map((ts) => ch.put({ n: ts }, ts)));
  for (let ts = 40; ts <= 200; ts += 10) await ch.put({ n: ts }, ts);
  await rt.stop();

  rt = await Runtime.start({ dataDir: dir });
  t.same(await rt.storedChannels(), ["video channel"]);
  const again = await rt.lookup<{ n: number }>("video channel", { from: "oldest" });
  t.same(await again.get(20), { ts: 20, value: { n: 20 } }, "exact get from disk");
  t.same((await again.get("oldest", "newest")).map((i) => i.ts), Array.from({ length: 20 }, (_, i) => (i + 1) * 10));
  t.same(await again.get("newest"), { ts: 200, value: { n: 200 } });
  t.same(await again.get("oldest"), { ts: 10, value: { n: 10 } });
  t.same((await again.get()).ts, 10, "a cursor from oldest starts on disk");
  t.same(await again.next(195), { ts: 200, value: { n: 200 } });
  await rt.stop();
});

t.test("persist - checkpoint mode makes puts durable at each checkpoint and at stop", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<number>("readings", { persist: { mode: "checkpoint", everyMs: 10 } });
  for (let ts = 1; ts <= 500; ts++) await ch.put(ts * 2, ts);
  t.equal(ch.stats().stored?.pending, 500, "buffered until the checkpoint");
  // The timer checkpoints on its own; wait for it (bounded), without asserting on time.
  for (let i = 0; i < 500 && ch.stats().stored?.items !== 500; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(ch.stats().stored?.items, 500, "the timer's checkpoint stored them");
  await ch.put(0, 1000);
  await rt.checkpoint();
  t.equal(ch.stats().stored?.items, 501, "rt.checkpoint() stores at once");
  for (let ts = 501; ts <= 600; ts++) await ch.put(ts * 2, ts);
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  const again = await rt.channel<number>("readings");
  t.equal((await again.get("oldest", "newest")).length, 601, "stop checkpointed the rest");
  t.same(await again.get(600), { ts: 600, value: 1200 });
  await rt.stop();
});

t.test("persist - a named consumer's cursor is durable through commit()", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>("jobs", { persist: { mode: "sync" } });
  for (let ts = 1; ts <= 5; ts++) await ch.put(`job${ts}`, ts);
  const worker = await rt.lookup<string>("jobs", { consumer: "w", from: "oldest" });
  t.equal((await worker.get()).ts, 1);
  t.equal((await worker.get()).ts, 2);
  await worker.commit();
  t.equal((await worker.get()).ts, 3, "taken, but not committed");
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  const resumed = await rt.lookup<string>("jobs", { consumer: "w", from: "newest" });
  t.equal((await resumed.get()).ts, 3, "resumes after the committed cursor, whatever `from` says");
  await t.rejects((await rt.lookup("jobs")).commit(), InvalidOptionError, "commit needs a named consumer");
  await rt.stop();
});

t.test("persist - commitStep stores outputs and moves the cursor in one transaction", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const input = await rt.channel<number>("in", { persist: { mode: "sync" } });
  const output = await rt.channel<number>("out", { persist: { mode: "sync" } });
  for (let ts = 1; ts <= 10; ts++) await input.put(ts, ts);
  const stage = await rt.lookup<number>("in", { consumer: "square", from: "oldest" });
  for (let k = 0; k < 6; k++) {
    const r = await stage.get();
    await rt.commitStep({ input: stage, taken: r, outputs: [{ channel: output, value: r.value * r.value, ts: r.ts }] });
  }
  await stage.get(); // taken, never committed: it must be redone after the restart
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  const resumed = await rt.lookup<number>("in", { consumer: "square" });
  const out = await rt.channel<number>("out");
  const redone: number[] = [];
  for (let k = 0; k < 4; k++) {
    const r = await resumed.get();
    redone.push(r.ts);
    await rt.commitStep({ input: resumed, taken: r, outputs: [{ channel: out, value: r.value * r.value, ts: r.ts }] });
  }
  t.same(redone, [7, 8, 9, 10], "the stage resumes after its last committed step");
  t.same((await out.get("oldest", "newest")).map((i) => [i.ts, i.value]), Array.from({ length: 10 }, (_, i) => [i + 1, (i + 1) ** 2]), "exactly one output per input");
  await t.rejects(rt.commitStep({ input: out, taken: 1, outputs: [] }), InvalidOptionError, "the input must be a named consumer");
  await rt.stop();
});

t.test("persist - duplicates are detected against items on disk", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>("a", { persist: { mode: "sync" }, retain: { count: 1 } });
  await ch.put("one", 1);
  await ch.put("two", 2);
  await t.rejects(ch.put("again", 1), DuplicateTimestampError, "ts 1 is only on disk now");
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  const replace = await rt.channel<string>("a", { persist: { mode: "sync" }, onDuplicate: "replace" });
  await replace.put("uno", 1);
  t.same(await replace.get(1), { ts: 1, value: "uno" });
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  t.same(await (await rt.channel<string>("a")).get(1), { ts: 1, value: "uno" }, "the replacement is what is stored");
  t.same((await (await rt.channel<string>("a")).get("oldest", "newest")).length, 2);
  await rt.stop();
});

t.test("persist - the codec is kept; a different one on reopen is refused", async (t) => {
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const frames = await rt.channel<Uint8Array>("frames", { persist: { mode: "sync" }, codec: "binary" });
  await frames.put(Buffer.from([1, 2, 3]), 5);
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  const again = await rt.channel<Uint8Array>("frames");
  t.same([...((await again.get(5))?.value ?? [])], [1, 2, 3], "reopened as binary without saying so");
  await rt.stop();
  rt = await Runtime.start({ dataDir: dir });
  await t.rejects(rt.channel("frames", { codec: "json" }), ChannelOptionsMismatchError);
  await rt.stop();
});

t.test("persist - a torn tail is cut at open and reported; a damaged record is skipped and reported", async (t) => {
  const dir = dataDir(t);
  const reports: string[] = [];
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>("cam", { persist: { mode: "sync" }, retain: { count: 1 } });
  for (let ts = 1; ts <= 5; ts++) await ch.put(`frame-${ts}`.repeat(10), ts);
  await rt.stop();
  const files = join(dir, "channels", nameToken("cam"));
  const data = join(files, readdirSync(files)[0]);
  appendFileSync(data, Buffer.from("half a record that never committed"));
  // Flip a payload byte of the second record (records are equal in size here).
  const recordBytes = RECORD_HEADER + Buffer.byteLength(JSON.stringify("frame-1".repeat(10)));
  const fd = openSync(data, "r+");
  writeSync(fd, Buffer.from("X"), 0, 1, recordBytes + RECORD_HEADER + 3);
  closeSync(fd);

  rt = await Runtime.start({ dataDir: dir, onError: (err) => reports.push(`${(err as StoreCorruptError).code}: ${(err as Error).message}`) });
  const again = await rt.channel<string>("cam", { retain: { count: 1 } });
  t.match(reports.join("\n"), /PTS_STORE_RECOVERED: .*34 uncommitted bytes cut/, "the torn tail was reported, as PTS_STORE_RECOVERED");
  t.same((await again.get("oldest", "newest")).map((i) => i.ts), [1, 3, 4, 5], "every intact committed item, and not the damaged one");
  t.equal(await again.get(2), undefined);
  t.equal(again.stats().stored?.corrupt, 2, "both reads of the damaged record were counted");
  t.match(reports.join("\n"), /PTS_STORE_CORRUPT: .*ts 2 .*damaged/);
  await again.put("frame-6", 6);
  t.same(await again.get(6), { ts: 6, value: "frame-6" }, "appends continue after the cut");
  await rt.stop();
});

t.test("persist - bad persist options and persist without dataDir are refused", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  for (const persist of [{ mode: "often" }, { mode: "sync", everyMs: -1 }, { mode: "sync", history: { ms: 0 } }, { mode: "sync", extra: 1 }]) {
    await t.rejects(rt.channel("x", { persist: persist as { mode: "sync" } }), InvalidOptionError, JSON.stringify(persist));
  }
  await rt.stop();
});
