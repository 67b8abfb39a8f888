/**
 * Checkpoint mode: items not yet checkpointed are read through every get variant together with
 * the live window and the items on disk; replacements win wherever the older copy lies; a
 * checkpoint starts early once CHECKPOINT_BYTES are pending; past MAX_PENDING_BYTES, a put
 * resolves only when the running checkpoint is done (backpressure), its item visible at once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Runtime } from "../../../index.ts";
import type { Channel, Item } from "../../../index.ts";
import { CHECKPOINT_BYTES, MAX_PENDING_BYTES } from "../../../channels/persistentChannel.ts";
import { RECORD_HEADER } from "../../../channels/persistence/format.ts";
import { span } from "../../helpers.ts";

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-checkpoint-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Submit = (op: unknown) => Promise<void>;

/**
 * Puts the runtime's journal behind `gate`, which gets each write and the real submit: it may
 * refuse the write (as a full disk would) or hold it (as a slow one would).
 */
function gateJournal(rt: Runtime, gate: (op: unknown, submit: Submit) => Promise<void>): void {
  const journal = (rt as unknown as { journal: { submit: Submit } }).journal;
  const submit = journal.submit.bind(journal);
  journal.submit = (op) => gate(op, submit);
}

/** Makes the runtime's journal refuse every write (as a full disk would) until `free()`; counts the writes tried. */
function fullDisk(rt: Runtime): { tries: () => number; free: () => void } {
  let refusing = true;
  let tries = 0;
  gateJournal(rt, (op, submit) => {
    tries++;
    return refusing ? Promise.reject(new Error("ENOSPC: no space left on device")) : submit(op);
  });
  return { tries: () => tries, free: () => void (refusing = false) };
}

/** Puts `frame` at ts + 1, ts + 2, ... until a put does not resolve at once; returns it, its ts and a flag it sets. */
async function putUntilOneWaits(ch: Channel<Uint8Array>, frame: Buffer, ts: number): Promise<{ waiting: Promise<void>; ts: number; settled: () => boolean }> {
  for (;;) {
    let settled = false;
    const put = ch.put(frame, ++ts).then(() => void (settled = true));
    await new Promise((r) => setImmediate(r));
    if (!settled) return { waiting: put, ts, settled: () => settled };
  }
}

const tss = (items: readonly Item<unknown>[]): number[] => items.map((i) => i.ts);

t.test("checkpoint - pending items below the live window are read with the window and the disk", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  // everyMs far away: only rt.checkpoint() makes items durable here.
  const ch = await rt.channel<{ n: number }>("readings", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, retain: { count: 10 }, onDuplicate: "replace" });
  for (let ts = 1; ts <= 100; ts++) await ch.put({ n: ts }, ts);
  t.equal(ch.stats().stored?.items, 0, "nothing durable yet");
  t.equal(ch.stats().stored?.pending, 100);
  t.same(await ch.get(5), { ts: 5, value: { n: 5 } }, "a pending item older than the window");
  t.same(tss(await ch.get(1, 100)), span(1, 100), "a range across pending items and the window");
  t.same((await ch.get("oldest"))?.ts, 1);
  t.same(await ch.next(49), { ts: 50, value: { n: 50 } });
  await ch.put({ n: -7 }, 7);
  t.same(await ch.get(7), { ts: 7, value: { n: -7 } }, "a replaced pending item reads as the newer one");

  await rt.checkpoint();
  t.equal(ch.stats().stored?.items, 100, "the checkpoint stored each timestamp once");
  for (let ts = 101; ts <= 200; ts++) await ch.put({ n: ts }, ts);
  await ch.put({ n: -8 }, 8);
  await ch.put({ n: -150 }, 150);
  t.same(await ch.get(8), { ts: 8, value: { n: -8 } }, "a pending replacement wins over the disk");
  t.same(await ch.get(150), { ts: 150, value: { n: -150 } });
  const all = await ch.get(1, 200);
  t.same(tss(all), span(1, 200), "a range across disk, pending items and the window, each once");
  t.same(all[7].value, { n: -8 });
  const seen: number[] = [];
  for await (const item of ch.items({ from: 95, to: 105 })) seen.push(item.ts);
  t.same(seen, span(95, 105), "items() across disk and pending items");
  await rt.stop();

  const again = await Runtime.start({ dataDir: dir });
  t.teardown(() => again.stop());
  const reopened = await again.channel<{ n: number }>("readings", { retain: { count: 10 } });
  const stored = await reopened.get(1, 200);
  t.same(tss(stored), span(1, 200), "everything after reopen, each once");
  t.same([stored[6].value, stored[7].value, stored[149].value], [{ n: -7 }, { n: -8 }, { n: -150 }], "replacements were stored");
  t.equal(reopened.stats().stored?.items, 200);
});

t.test("checkpoint - a checkpoint starts before everyMs once CHECKPOINT_BYTES are pending", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  const ch = await rt.channel<Uint8Array>("frames", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 4 } });
  const frame = Buffer.alloc(1024 * 1024, 1);
  const count = Math.ceil(CHECKPOINT_BYTES / frame.byteLength) + 2;
  for (let ts = 1; ts <= count; ts++) await ch.put(frame, ts);
  // A bounded wait for the background checkpoint; the assertions are on its outcome, not on time.
  for (let i = 0; i < 1000 && (ch.stats().stored?.items ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok((ch.stats().stored?.items ?? 0) > 0, "items became durable without rt.checkpoint() and long before everyMs");
  t.ok((ch.stats().stored?.items ?? 0) < count, "a checkpoint, not a stop, stored them");
  await rt.stop();
});

t.test("checkpoint - a failed checkpoint keeps its items and is retried after a delay, not by every put", async (t) => {
  const dir = dataDir(t);
  const errors: unknown[] = [];
  const rt = await Runtime.start({ dataDir: dir, onError: (err) => errors.push(err) });
  t.teardown(() => rt.stop());
  // The journal refuses the first writes, as a full disk would.
  const disk = fullDisk(rt);
  // The retry waits everyMs (±20%): long enough that no stall of a loaded machine lets it run
  // before the assertions on the puts below.
  const ch = await rt.channel<Uint8Array>("frames", { persist: { mode: "checkpoint", everyMs: 2000 }, codec: "binary", retain: { count: 4 } });
  const frame = Buffer.alloc(1024 * 1024, 1);
  const count = Math.ceil(CHECKPOINT_BYTES / frame.byteLength) + 2;
  for (let ts = 1; ts <= count; ts++) await ch.put(frame, ts);
  for (let i = 0; i < 1000 && disk.tries() === 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.equal(disk.tries(), 1, "the early checkpoint was tried and failed");
  await new Promise((r) => setImmediate(r));
  // Small ones: past MAX_PENDING_BYTES a put would wait for the next try (backpressure).
  const small = Buffer.alloc(1024, 2);
  for (let ts = count + 1; ts <= count + 50; ts++) await ch.put(small, ts);
  t.equal(disk.tries(), 1, "50 more puts over CHECKPOINT_BYTES did not retry it");
  t.equal(errors.length, 1, "one failure, reported once");
  disk.free();
  for (let i = 0; i < 1000 && (ch.stats().stored?.items ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(ch.stats().stored?.items, count + 50, "the retry stored every item, those of the failed checkpoint included");
  t.equal(ch.stats().stored?.pending, 0);
});

t.test("checkpoint - past MAX_PENDING_BYTES a put waits for the running checkpoint, and its item is visible at once", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  // The journal holds every write until the test lets it go, as a slow disk would.
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let writes = 0;
  gateJournal(rt, async (op, submit) => {
    writes++;
    await held;
    return submit(op);
  });
  const ch = await rt.channel<Uint8Array>("frames", { persist: { mode: "checkpoint", everyMs: 3_600_000 }, codec: "binary", retain: { count: 4 } });
  const frame = Buffer.alloc(1024 * 1024, 1);
  let ts = 0;
  while ((ch.stats().stored?.pending ?? 0) * frame.byteLength < CHECKPOINT_BYTES) await ch.put(frame, ++ts);
  await ch.put(frame, ++ts);
  t.equal(writes, 1, "a checkpoint started at CHECKPOINT_BYTES and is held");
  // The held checkpoint has every item so far (give or take the last). The puts after it
  // resolve at once until the pending log reaches MAX_PENDING_BYTES.
  const flushing = ts;
  const record = frame.byteLength + RECORD_HEADER;
  const first = await putUntilOneWaits(ch, frame, ts);
  ts = first.ts;
  const pendingBytes = ((ch.stats().stored?.pending ?? 0) - flushing) * record;
  t.ok(pendingBytes >= MAX_PENDING_BYTES - record && pendingBytes <= MAX_PENDING_BYTES + record, `the first put to wait came at MAX_PENDING_BYTES (${pendingBytes} pending)`);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(first.settled(), false, "it waits while the checkpoint runs");
  t.same((await ch.get("newest"))?.ts, ts, "its item is visible at once");
  release();
  await first.waiting;
  t.ok(first.settled(), "and resolves once the checkpoint is done");
  t.ok((ch.stats().stored?.items ?? 0) > 0, "the checkpoint stored its items");
  await rt.checkpoint();
  t.equal(ch.stats().stored?.items, ts, "every put is stored");
});

t.test("checkpoint - while failed checkpoints wait to be retried, a put past MAX_PENDING_BYTES waits for the next try", async (t) => {
  const dir = dataDir(t);
  const rt = await Runtime.start({ dataDir: dir, onError: () => undefined });
  t.teardown(() => rt.stop());
  const disk = fullDisk(rt);
  const ch = await rt.channel<Uint8Array>("frames", { persist: { mode: "checkpoint", everyMs: 300 }, codec: "binary", retain: { count: 4 } });
  const frame = Buffer.alloc(1024 * 1024, 1);
  const { waiting, ts } = await putUntilOneWaits(ch, frame, 0);
  const triesThen = disk.tries();
  t.ok(triesThen >= 1, "checkpoints were tried and failed");
  t.ok(((ch.stats().stored?.pending ?? 0) * (frame.byteLength + RECORD_HEADER)) >= MAX_PENDING_BYTES - frame.byteLength, "a put waits once MAX_PENDING_BYTES are pending");
  t.same((await ch.get("newest"))?.ts, ts, "its item is visible at once");
  disk.free();
  await waiting;
  t.ok(disk.tries() > triesThen, "it resolved after the next try");
  t.equal(ch.stats().stored?.items, ts, "which stored every item");
});
