/**
 * Shared test helpers: a runtime that is stopped when the test ends, and small async utilities.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";
import { Runtime, type RuntimeOptions } from "../index.ts";

export async function runtime(t: Test, options: RuntimeOptions = {}): Promise<Runtime> {
  const rt = await Runtime.start(options);
  t.teardown(() => rt.stop());
  return rt;
}

/** Resolves after the current macrotask, letting pending promise chains settle. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a promise is still pending after pending work has run. */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  await tick();
  return !settled;
}

/** The integers lo, lo + 1, ..., hi. */
export function span(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
}

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejection(t: Test, p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  t.fail("expected a rejection");
  return new Error("did not reject");
}

/**
 * Waits until `condition` holds, checking every few milliseconds. It gives up after
 * `timeoutMs` with an error naming `what` (and `detail()` if given), rather than leaving the
 * file to tap's timeout: no test asserts on how long this takes.
 */
export async function until(condition: () => boolean, what = "a condition", timeoutMs = 60_000, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fresh directory under the system temp dir, removed at teardown. */
export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pts-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
