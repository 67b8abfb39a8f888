/**
 * ExecActuator: runs a command for each item, with the event as JSON on its stdin and a timeout;
 * the exit code is the outcome.
 *
 * Guarantees:
 * - The command runs without a shell (`command` and `args` as given) unless `shell: true`. Its
 *   stdin gets `{ ts, time, value }` as one JSON line (binary values base64), then EOF; a command
 *   that does not read stdin is fine.
 * - Exit code 0 is "ok" (resultCode 0). Another exit code is reason "exit_code" (resultCode the
 *   code), death by a signal is "signal", both retried; the error ends with the last lines of
 *   stderr. A command that cannot start (not found, not executable) is "spawn", not retried.
 * - At the timeout the process gets killSignal (default SIGTERM), then SIGKILL after killGraceMs.
 *
 * @example
 *   const notify = new ExecActuator({ command: "./notify.sh", args: ["--urgent"], timeoutMs: 5000 });
 *   const outcome = await notify.handle({ ts: clock.now(), value: { zone: "gate" } });
 *
 * @param command      the program
 * @param args         its arguments
 * @param cwd, env     where and with what environment it runs (default: this process's)
 * @param shell        run through /bin/sh (default false)
 * @param killSignal   sent at the timeout (default "SIGTERM")
 * @param killGraceMs  then SIGKILL after this long (default 1000)
 */
import { spawn } from "node:child_process";
import type { Item } from "../channels/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import { eventOf, toJson } from "./actuatorInternals.ts";
import type { ActuatorOptions } from "./types.ts";

export type ExecActuatorOptions = ActuatorOptions & {
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  shell?: boolean;
  killSignal?: NodeJS.Signals;
  killGraceMs?: number;
};

/** How much of stderr an error message keeps (the end, where the reason usually is). */
const STDERR_TAIL = 1000;

export class ExecActuator<T = unknown> extends BaseActuator<T> {
  private readonly options: ExecActuatorOptions;

  constructor(options: ExecActuatorOptions) {
    super("exec", options);
    this.options = options;
  }

  protected override attempt(item: Item<T>, signal: AbortSignal): Promise<number> {
    const { command, args = [], cwd, env, shell = false, killSignal = "SIGTERM", killGraceMs = 1000 } = this.options;
    const input = toJson(eventOf(item)) + "\n";
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env, shell, stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      let killTimer: NodeJS.Timeout | undefined;
      child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_TAIL)));
      child.stdin!.on("error", () => undefined); // a command that exits without reading stdin: EPIPE is not a failure
      child.stdin!.end(input);
      const onAbort = () => {
        child.kill(killSignal);
        killTimer = setTimeout(() => child.kill("SIGKILL"), killGraceMs);
        killTimer.unref();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const what = `command ${JSON.stringify([command, ...args].join(" "))}`;
      child.once("error", (err: NodeJS.ErrnoException) => {
        signal.removeEventListener("abort", onAbort);
        reject(new ActuatorError("spawn", `cannot start ${what}: ${err.message}`, { retryable: false, cause: err }));
      });
      child.once("close", (code, sig) => {
        signal.removeEventListener("abort", onAbort);
        clearTimeout(killTimer);
        const tail = stderr.trim() ? `; stderr: ${stderr.trim()}` : "";
        if (code === 0) resolve(0);
        else if (code !== null) reject(new ActuatorError("exit_code", `${what} exited with code ${code}${tail}`, { resultCode: code }));
        else reject(new ActuatorError("signal", `${what} was killed by ${sig}${tail}`));
      });
    });
  }
}
