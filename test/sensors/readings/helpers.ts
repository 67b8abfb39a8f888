/**
 * Helpers for the reading-source and actuator tests: wait for a condition on counters, and a
 * temporary directory removed at the end of the test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";

/**
 * Waits for a condition, checking after each turn of the event loop. No deadline of its own:
 * tap's test timeout ends a test that never gets there.
 */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A fresh directory under the system temp dir, removed at teardown. */
export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pts-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
