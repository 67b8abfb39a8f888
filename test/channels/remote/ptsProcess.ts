/**
 * Test helper: `pts serve` (the channel host) and small producer programs as real child
 * processes, so remote tests cross process boundaries as users' deployments do.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../../bin/pts.js", import.meta.url));

export type ServeProcess = { child: ChildProcess; output: () => string; kill(signal?: NodeJS.Signals): Promise<number | null> };

/** Starts `pts serve` and resolves once it says it is ready. */
export function startServe(args: string[]): Promise<ServeProcess> {
  return startPts(["serve", ...args], "pts serve: ready");
}

/** Starts a long-running `pts` command and resolves once its output contains `ready`. */
export async function startPts(args: string[], ready: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: new URL("../../..", import.meta.url).pathname });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pts ${args[0]} did not become ready in 30 s:\n${out}`)), 30_000);
    const check = () => {
      if (out.includes(ready)) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        child.stderr!.off("data", check);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pts ${args[0]} exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    kill: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** Runs a `pts` command to completion. */
export function pts(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
