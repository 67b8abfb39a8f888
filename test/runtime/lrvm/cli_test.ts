import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { formatInspect } from "../../../bin/commands/lrvm.ts";
import { logFiles, openRvm } from "./helpers.ts";

const PTS = fileURLToPath(new URL("../../../bin/pts.js", import.meta.url));

function pts(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [PTS, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file's name, size and contents: to prove a command changed nothing. */
function fingerprint(dir: string): string {
  return fs
    .readdirSync(dir)
    .sort()
    .map((n) => `${n}:${fs.readFileSync(path.join(dir, n)).toString("base64")}`)
    .join("\n");
}

async function populated(dir: string): Promise<void> {
  const rvm = await Rvm.open(dir, { truncateThreshold: 0 });
  const meta = await rvm.map("meta", 4096);
  await rvm.map("index", 100);
  for (let i = 0; i < 5; i++) {
    const tx = rvm.begin();
    tx.setRange(meta, i * 8, 8);
    meta.data.fill(i + 1, i * 8, i * 8 + 8);
    await tx.commit();
  }
  await rvm.close();
}

t.test("cli - pts lrvm inspect shows segments, log, records, last sequence; changes nothing", async (t) => {
  const dir = t.testdir();
  await populated(dir);
  const before = fingerprint(dir);
  const r = pts("lrvm", "inspect", dir);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^segments\s+2$/m);
  t.match(r.stdout, /^ {2}index\s+id 2\s+100 B$/m);
  t.match(r.stdout, /^ {2}meta\s+id 1\s+4\.0 KiB \(4096 B\)$/m);
  t.match(r.stdout, /^log\s+1 file\(s\), /m);
  t.match(r.stdout, /^records\s+5$/m);
  t.match(r.stdout, /^last seq\s+5$/m);
  t.match(r.stdout, /^torn tail\s+none$/m);
  t.match(r.stdout, /^lock\s+free$/m);
  t.equal(r.stderr, "", "no progress line when stderr is not a terminal");
  t.equal(fingerprint(dir), before, "inspect modified nothing");
});

t.test("cli - pts lrvm inspect reports a torn tail, and --json gives the same facts", async (t) => {
  const dir = t.testdir();
  await populated(dir);
  const log = logFiles(dir)[0] as string;
  const size = fs.statSync(log).size;
  fs.truncateSync(log, size - 5);
  const before = fingerprint(dir);
  const r = pts("lrvm", "inspect", dir);
  t.equal(r.status, 0);
  t.match(r.stdout, /^records\s+4$/m);
  t.match(r.stdout, new RegExp(`^torn tail\\s+${path.basename(log).replace(/\./g, "\\.")} at byte \\d+: torn; \\d+ byte\\(s\\) will be ignored by recovery$`, "m"));
  const json = JSON.parse(pts("lrvm", "inspect", dir, "--json").stdout) as { records: number; lastSeq: number; torn: { reason: string } };
  t.equal(json.records, 4);
  t.equal(json.lastSeq, 4);
  t.equal(json.torn.reason, "torn");
  t.equal(fingerprint(dir), before, "inspect modified nothing, even with a torn tail");
});

t.test("cli - pts lrvm inspect shows a live lock holder", async (t) => {
  const dir = t.testdir();
  await openRvm(t, dir);
  const r = pts("lrvm", "inspect", dir);
  t.match(r.stdout, new RegExp(`^lock\\s+held by live process ${process.pid}$`, "m"));
});

t.test("cli - pts lrvm truncate applies the log; refused while the directory is open", async (t) => {
  const dir = t.testdir();
  await populated(dir);
  const r = pts("lrvm", "truncate", dir);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^recovered\s+5 record\(s\)/m);
  t.match(r.stdout, /^truncated\s+/m);
  const after = pts("lrvm", "inspect", dir);
  t.match(after.stdout, /^records\s+0$/m);
  t.match(after.stdout, /^last seq\s+5$/m, "sequence numbers are kept across truncation");
  const meta = fs.readFileSync(path.join(dir, "meta.seg"));
  t.same([...meta.subarray(0, 40)], [1, 2, 3, 4, 5].flatMap((v) => Array(8).fill(v)), "the records are in the segment file");
  const rvm = await openRvm(t, dir);
  t.ok(rvm.isOpen);
  const locked = pts("lrvm", "truncate", dir);
  t.equal(locked.status, 1);
  t.match(locked.stderr, /^pts: ELOCKED: /);
});

t.test("cli - usage errors and a missing directory", async (t) => {
  for (const args of [["lrvm"], ["lrvm", "inspect"], ["lrvm", "frobnicate", "x"], ["lrvm", "truncate", "x", "--json"], ["lrvm", "inspect", "a", "b"]]) {
    const r = pts(...args);
    t.equal(r.status, 2, `${args.join(" ")} exits 2`);
    t.match(r.stderr, /usage: pts lrvm inspect DIR/);
  }
  const missing = pts("lrvm", "inspect", path.join(t.testdir(), "nope"));
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no such directory/);
  const help = pts("lrvm", "--help");
  t.equal(help.status, 0);
  t.match(help.stdout, /inspect or truncate an LRVM directory/);
});

t.test("cli - formatInspect renders a missing segment file and a stale lock", async (t) => {
  const text = formatInspect({
    dir: "/d",
    segments: [{ name: "x", id: 3, size: null }],
    logs: [],
    logBytes: 0,
    records: 0,
    lastSeq: 0,
    torn: null,
    lock: { pid: 4242, alive: false },
  });
  t.match(text, /^ {2}x\s+id 3\s+file missing$/m);
  t.match(text, /^lock\s+stale \(process 4242 is gone\)$/m);
  t.match(text, /^log\s+0 file\(s\), 0 B$/m);
});

t.test("cli - at a terminal, inspect and truncate draw a progress line on stderr", async (t) => {
  const dir = t.testdir();
  await populated(dir);
  // `script` (util-linux, part of every Debian system) runs the command on a pseudo-terminal.
  const run = (sub: string): string =>
    spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(PTS)} lrvm ${sub} ${JSON.stringify(dir)}`, "/dev/null"], { encoding: "utf8" }).stdout;
  const inspected = run("inspect");
  t.match(inspected, /\r\x1b\[2Kinspect: 100% of [\d.]+ MiB of log/);
  t.match(inspected, /records\s+5/);
  const truncated = run("truncate");
  t.match(truncated, /\r\x1b\[2Krecover: 100% of [\d.]+ MiB of log/);
  t.match(truncated, /truncated\s+/);
});
