import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import t from "tap";
import { Rvm } from "../../../runtime/lrvm/index.ts";
import { openRvm, rejectsCode } from "./helpers.ts";

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

t.test("lock - the open Rvm holds a LOCK with its pid; close removes it", async (t) => {
  const dir = t.testdir();
  const rvm = await Rvm.open(dir);
  t.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim(), String(process.pid));
  await rvm.close();
  t.notOk(fs.existsSync(path.join(dir, "LOCK")));
  const again = await openRvm(t, dir);
  t.ok(again.isOpen, "reopens after close");
});

t.test("lock - a second open in the same process is refused, also through another path spelling", async (t) => {
  const dir = t.testdir();
  await openRvm(t, dir);
  await rejectsCode(t, () => Rvm.open(dir), "ELOCKED");
  await rejectsCode(t, () => Rvm.open(path.join(dir, ".", "sub", "..")), "ELOCKED");
  t.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim(), String(process.pid), "the refused open left the lock alone");
});

t.test("lock - a lock held by another live process is respected", async (t) => {
  const dir = t.testdir();
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  t.teardown(() => child.kill("SIGKILL"));
  fs.writeFileSync(path.join(dir, "LOCK"), `${child.pid}\n`);
  await rejectsCode(t, () => Rvm.open(dir), "ELOCKED");
  t.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim(), String(child.pid));
});

t.test("lock - a stale lock of a dead process is taken over", async (t) => {
  const dir = t.testdir();
  const pid = deadPid();
  t.ok(pid > 0);
  fs.writeFileSync(path.join(dir, "LOCK"), `${pid}\n`);
  const rvm = await openRvm(t, dir);
  t.ok(rvm.isOpen);
  t.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim(), String(process.pid));
  t.same(fs.readdirSync(dir).filter((n) => n.startsWith("LOCK.")), [], "no leftover of the takeover");
});

t.test("lock - an empty or garbage LOCK (a crash while creating it) is taken over", async (t) => {
  for (const content of ["", "not a pid", "-5"]) {
    const dir = t.testdir();
    fs.writeFileSync(path.join(dir, "LOCK"), content);
    const rvm = await Rvm.open(dir);
    t.equal(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim(), String(process.pid), `took over ${JSON.stringify(content)}`);
    await rvm.close();
  }
});

t.test("lock - a lock with this process's own pid but no Rvm of ours is stale (pid reuse)", async (t) => {
  const dir = t.testdir();
  fs.writeFileSync(path.join(dir, "LOCK"), `${process.pid}\n`);
  const rvm = await openRvm(t, dir);
  t.ok(rvm.isOpen);
});

t.test("lock - concurrent opens of one directory: exactly one wins", async (t) => {
  const dir = t.testdir();
  const results = await Promise.allSettled([Rvm.open(dir), Rvm.open(dir), Rvm.open(dir)]);
  const won = results.filter((r) => r.status === "fulfilled");
  t.equal(won.length, 1);
  for (const r of results) if (r.status === "rejected") t.equal((r.reason as { code?: string }).code, "ELOCKED");
  for (const r of won) await (r as PromiseFulfilledResult<Rvm>).value.close();
});
