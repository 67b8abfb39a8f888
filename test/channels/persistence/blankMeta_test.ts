/**
 * A meta segment that holds no channel (all zeros: a crash between mapping it and the first
 * commit, next to the creation marker, or damage, with none). Opening the channel to read it (a
 * lookup, rt.channel without persist, `pts get --data`) is refused with PTS_STORE_CORRUPT and
 * removes nothing; only opening it with persist after an interrupted creation starts the
 * channel anew; damage is refused even then, and the data files stay (format.ts, 4 (5)).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { Runtime, nameToken } from "../../../index.ts";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { META_SIZE, metaSegment } from "../../../channels/persistence/format.ts";
import { syncStore } from "./syncStore.ts";

const CHANNEL = "cam";

/** A stopped store holding v1..v3 at ts 1..3. */
function storeOfThree(dir: string): Promise<void> {
  return syncStore(dir, CHANNEL, ["v1", "v2", "v3"]);
}

/** Zeros the channel's meta segment, committed through the LRVM. */
async function blankMeta(dir: string): Promise<void> {
  const rvm = await Rvm.open(join(dir, "lrvm"));
  const seg = await rvm.map(metaSegment(nameToken(CHANNEL)), META_SIZE);
  seg.data.fill(0);
  const tx = rvm.begin({ restore: false });
  tx.setRange(seg, 0, META_SIZE);
  await tx.commit({ flush: true });
  await rvm.close();
}

t.test("blank meta - readers are refused and the channel's data files stay", async (t) => {
  const dir = t.testdir();
  await storeOfThree(dir);
  let rt: Runtime;
  await blankMeta(dir);
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  const files = readdirSync(channelDir);
  t.ok(files.some((f) => f.endsWith(".data")), "a data file to keep");

  rt = await Runtime.start({ dataDir: dir });
  await t.rejects(rt.lookup(CHANNEL), { code: "PTS_STORE_CORRUPT" }, "a lookup is refused");
  await t.rejects(rt.channel(CHANNEL), { code: "PTS_STORE_CORRUPT" }, "so is a channel opened without persist");
  await t.rejects(rt.channel(CHANNEL, { persist: { mode: "sync" } }), { code: "PTS_STORE_CORRUPT", message: /damage/ }, "and, with no creation under way, one opened with persist");
  await rt.stop();
  t.same(readdirSync(channelDir), files, "nothing was removed");
});

for (const marked of [true, false]) {
  const what = marked ? "the creation marker there" : "no marker and no data files, as before markers existed";
  t.test(`blank meta - a channel whose creation a crash interrupted is created anew with persist (${what})`, async (t) => {
    const dir = t.testdir();
    // What a crash between mapping the meta segment and its first commit leaves: the creation
    // marker, and the meta segment of zeros.
    const channelDir = join(dir, "channels", nameToken(CHANNEL));
    if (marked) {
      mkdirSync(channelDir, { recursive: true });
      writeFileSync(join(channelDir, "creating"), "");
    }
    const rvm = await Rvm.open(join(dir, "lrvm"));
    await rvm.map(metaSegment(nameToken(CHANNEL)), META_SIZE);
    await rvm.close();

    let rt = await Runtime.start({ dataDir: dir });
    await t.rejects(rt.lookup(CHANNEL), { code: "PTS_STORE_CORRUPT" }, "a reader is refused");
    const ch = await rt.channel<string>(CHANNEL, { persist: { mode: "sync" } });
    await ch.put("v1", 1);
    await rt.stop();
    rt = await Runtime.start({ dataDir: dir });
    t.same((await (await rt.channel<string>(CHANNEL)).get("oldest", "newest")).map((i) => i.value), ["v1"]);
    t.same(readdirSync(channelDir), ["1.data"], "no marker once the channel exists");
    await rt.stop();
  });
}

t.test("blank meta - a new channel's directory holds the creation marker only until its first commit", async (t) => {
  const dir = t.testdir();
  const rt = await Runtime.start({ dataDir: dir });
  t.teardown(() => rt.stop());
  await rt.channel<string>(CHANNEL, { persist: { mode: "sync" } });
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  t.ok(existsSync(channelDir));
  t.notOk(existsSync(join(channelDir, "creating")), "no marker left behind");
});

t.test("blank meta - a marker left next to a valid meta (a crash just after the first commit) is removed at the next open", async (t) => {
  const dir = t.testdir();
  await storeOfThree(dir);
  let rt: Runtime;
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  writeFileSync(join(channelDir, "creating"), "");
  rt = await Runtime.start({ dataDir: dir });
  t.same((await (await rt.channel<string>(CHANNEL)).get("oldest", "newest")).map((i) => i.value), ["v1", "v2", "v3"], "the channel opens as it was");
  await rt.stop();
  t.notOk(existsSync(join(channelDir, "creating")), "the stale marker is gone");
  // So later damage to the meta segment is refused, not taken for an interrupted creation.
  await blankMeta(dir);
  rt = await Runtime.start({ dataDir: dir });
  await t.rejects(rt.channel(CHANNEL, { persist: { mode: "sync" } }), { code: "PTS_STORE_CORRUPT", message: /damage/ });
  await rt.stop();
  t.ok(readdirSync(channelDir).some((f) => f.endsWith(".data")), "the data files stay");
});

t.test("blank meta - data files with no meta segment at all (the LRVM directory lost) are refused, not swept", async (t) => {
  const dir = t.testdir();
  await storeOfThree(dir);
  let rt: Runtime;
  rmSync(join(dir, "lrvm"), { recursive: true, force: true });
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  const files = readdirSync(channelDir);
  rt = await Runtime.start({ dataDir: dir });
  await t.rejects(rt.channel(CHANNEL, { persist: { mode: "sync" } }), { code: "PTS_STORE_CORRUPT", message: /no meta segment/ }, "creating it anew is refused");
  await rt.stop();
  t.same(readdirSync(channelDir), files, "nothing was removed");
});
