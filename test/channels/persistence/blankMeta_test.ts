/**
 * A meta segment that holds no channel (all zeros: a crash between mapping it and the first
 * commit, or damage). Opening the channel to read it (a lookup, rt.channel without persist,
 * `pts get --data`) is refused with PTS_STORE_CORRUPT and removes nothing; only opening it with
 * persist starts the channel anew (channelStore.ts, open).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Runtime, nameToken } from "../../../index.ts";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { META_SIZE, metaSegment } from "../../../channels/persistence/format.ts";

const CHANNEL = "cam";

function dataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "pts-blank-meta-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
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
  const dir = dataDir(t);
  let rt = await Runtime.start({ dataDir: dir });
  const ch = await rt.channel<string>(CHANNEL, { persist: { mode: "sync" } });
  for (let ts = 1; ts <= 3; ts++) await ch.put(`v${ts}`, ts);
  await rt.stop();
  await blankMeta(dir);
  const channelDir = join(dir, "channels", nameToken(CHANNEL));
  const files = readdirSync(channelDir);
  t.ok(files.some((f) => f.endsWith(".data")), "a data file to keep");

  rt = await Runtime.start({ dataDir: dir });
  await t.rejects(rt.lookup(CHANNEL), { code: "PTS_STORE_CORRUPT" }, "a lookup is refused");
  await t.rejects(rt.channel(CHANNEL), { code: "PTS_STORE_CORRUPT" }, "so is a channel opened without persist");
  await rt.stop();
  t.same(readdirSync(channelDir), files, "nothing was removed");
});

t.test("blank meta - a channel whose creation a crash interrupted is created anew with persist", async (t) => {
  const dir = dataDir(t);
  // What a crash between mapping the meta segment and its first commit leaves.
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
  t.ok(existsSync(join(dir, "channels", nameToken(CHANNEL))));
  await rt.stop();
});
