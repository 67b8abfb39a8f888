/**
 * Failing or delaying data-file fdatasyncs in a test: replaces fs.fdatasync (the call DataFile
 * sends to the thread pool) for the test's duration, deciding per call by the path synced.
 */
import fs, { readlinkSync } from "node:fs";
import type { Test } from "tap";

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;
type Fdatasync = (fd: number, cb: SyncCallback) => void;

/** What happens to one fdatasync: fails with that errno code, and/or runs after a delay. */
export type SyncFate = { failWith?: string; delayMs?: number } | undefined;

/** Replaces fs.fdatasync until the test ends; `decide` returns undefined for the real sync at once. */
export function injectSyncs(t: Test, decide: (path: string) => SyncFate): void {
  const real = fs.fdatasync as Fdatasync;
  const patched: Fdatasync = (fd, cb) => {
    const what = decide(readlinkSync(`/proc/self/fd/${fd}`));
    if (what === undefined) return real(fd, cb);
    if (what.failWith !== undefined) {
      const err: NodeJS.ErrnoException = Object.assign(new Error(`${what.failWith}: injected`), { code: what.failWith });
      setTimeout(() => cb(err), what.delayMs ?? 0);
    } else setTimeout(() => real(fd, cb), what.delayMs ?? 0);
  };
  Object.assign(fs, { fdatasync: patched });
  t.teardown(() => Object.assign(fs, { fdatasync: real }));
}
