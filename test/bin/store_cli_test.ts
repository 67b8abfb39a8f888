import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { Runtime } from "../../index.ts";

const run = promisify(execFile);
const bin = new URL("../../bin/pts.js", import.meta.url).pathname;
const pts = (...args: string[]) => run(process.execPath, [bin, ...args]).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

t.test("cli - channels and get read persistent channels offline", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pts-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rt = await Runtime.start({ dataDir: dir });
  const readings = await rt.channel<{ c: number }>("lab readings", { persist: { mode: "sync" } });
  for (let i = 1; i <= 5; i++) await readings.put({ c: i * 10 }, 1_800_000_000_000_000 + i * 1_000_000);
  const frames = await rt.channel<Uint8Array>("cam.1", { persist: { mode: "checkpoint" }, codec: "binary" });
  await frames.put(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]), 7);
  await rt.stop();

  const list = await pts("channels", "--data", dir, "--json");
  t.equal(list.code, 0, list.stderr);
  const rows = list.stdout.trim().split("\n").map((l) => JSON.parse(l) as { name: string; items: number; bytes: number });
  t.same(rows.map((r) => [r.name, r.items]), [["cam.1", 1], ["lab readings", 5]]);
  t.ok(rows.every((r) => r.bytes > 0));

  const range = await pts("get", "lab readings", "--data", dir, "--from", "2027-01-15T08:00:02Z", "--to", "2027-01-15T08:00:04Z");
  t.same(range.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { value: { c: number } }).value.c), [20, 30, 40]);
  const newest = await pts("get", "lab readings", "--data", dir, "--newest");
  t.match(newest.stdout, /"iso":"2027-01-15T08:00:05.000000Z","value":\{"c":50\}/);

  const out = join(dir, "frames-out");
  const frame = await pts("get", "cam.1", "--data", dir, "--at", "7", "--out", out);
  t.match(frame.stdout, /"bytes":6/);
  t.same([...readFileSync(join(out, "7.jpg"))], [0xff, 0xd8, 0xff, 0xe0, 1, 2], "the frame was written as a file");

  const unknown = await pts("get", "nope", "--data", dir);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /no persistent channel named "nope"/);
  const badTime = await pts("get", "cam.1", "--data", dir, "--at", "soonish");
  t.match(badTime.stderr, /PTS_INVALID_TIMESTAMP/);
  const badFlag = await pts("channels", "--data", dir, "--colour");
  t.match(badFlag.stderr, /PTS_INVALID_OPTION/);
});
