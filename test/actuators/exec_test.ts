import { readFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { ExecActuator, type DeadLetter } from "../../actuators/index.ts";
import { runtime } from "../helpers.ts";
import { tempDir } from "../helpers.ts";

const fast = { initialMs: 1, maxMs: 5 };

t.test("exec - a command that succeeds gets the event as JSON on stdin", async (t) => {
  const out = join(await tempDir(t), "event.json");
  const exec = new ExecActuator({ command: "sh", args: ["-c", 'cat > "$0"', out] });
  const outcome = await exec.handle({ ts: 5_000_000, value: { zone: "gate", n: 2 } });
  t.match(outcome, { status: "ok", attempts: 1, resultCode: 0 });
  t.same(JSON.parse(await readFile(out, "utf8")), { ts: 5_000_000, time: "1970-01-01T00:00:05.000000Z", value: { zone: "gate", n: 2 } });
  const ignoresStdin = new ExecActuator({ command: "true" });
  t.match(await ignoresStdin.handle({ ts: 1, value: "x".repeat(1 << 20) }), { status: "ok" }, "a command that never reads stdin is fine");
});

t.test("exec - a command that fails: exit code and stderr in the outcome, retried, dead-lettered", async (t) => {
  const rt = await runtime(t);
  const dead = await rt.channel<DeadLetter>("exec dead");
  const exec = new ExecActuator({ command: "sh", args: ["-c", "echo cannot reach the siren >&2; exit 3"], attempts: 2, backoff: fast, deadLetter: dead });
  const outcome = await exec.handle({ ts: 9, value: 1 });
  t.match(outcome, { status: "dead_lettered", reason: "exit_code", attempts: 2, resultCode: 3, error: /exited with code 3; stderr: cannot reach the siren/ });
  t.match((await dead.get("newest"))?.value, { actuator: "exec", reason: "exit_code", item: { ts: 9, value: 1 } });
  t.equal(exec.stats().failures.exit_code, 1);

  const missing = new ExecActuator({ command: "/no/such/program", attempts: 3 });
  t.match(await missing.handle({ ts: 1, value: 1 }), { status: "failed", reason: "spawn", attempts: 1, error: /cannot start command "\/no\/such\/program": spawn \/no\/such\/program ENOENT/ });
});

t.test("exec - a command that hangs is killed at the timeout", async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, "pid");
  // Long enough for sh to start and write its pid however loaded the machine is.
  const exec = new ExecActuator({ command: "sh", args: ["-c", 'echo $$ > "$0"; exec sleep 60', pidFile], timeoutMs: 2000, attempts: 1, killGraceMs: 200 });
  const outcome = await exec.handle({ ts: 1, value: {} });
  t.match(outcome, { status: "timed_out", reason: "timeout", attempts: 1, error: "exec: no result within 2000 ms" });
  const pid = Number((await readFile(pidFile, "utf8")).trim());
  await new Promise<void>((resolve) => {
    const check = () => {
      try {
        process.kill(pid, 0);
        setTimeout(check, 10);
      } catch {
        resolve();
      }
    };
    check();
  });
  t.pass("the hung process is gone");
});

t.test("exec - close ends an attempt in flight", async (t) => {
  const exec = new ExecActuator({ command: "sleep", args: ["60"], attempts: 5 });
  const pending = exec.handle({ ts: 1, value: 0 });
  await exec.close();
  t.match(await pending, { status: "failed", reason: "error", attempts: 1, error: /exec was closed/ });
});
