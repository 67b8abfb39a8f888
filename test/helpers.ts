/**
 * Shared test helpers: a runtime that is stopped when the test ends, and small async utilities.
 */
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
