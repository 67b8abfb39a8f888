/**
 * Helpers shared by the LRVM unit tests: open an Rvm that is closed at teardown, take a
 * "crash copy" of a directory, and read log files back.
 *
 * A crash copy copies the directory's files as they are now, without closing anything: this
 * is exactly what a SIGKILL leaves (the kernel keeps what was written, drops what was only in
 * the process), so recovering the copy tests recovery without killing the test process.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Test } from "tap";
import { Rvm, RvmError } from "../../../runtime/lrvm/index.ts";
import type { OpenOptions, RvmErrorCode, Segment } from "../../../runtime/lrvm/index.ts";
import { parseLogFileName } from "../../../runtime/lrvm/log.ts";

/** Opens an Rvm on `dir` and closes it at the end of the test (ignoring a failed close). */
export async function openRvm(t: Test, dir: string, options?: OpenOptions): Promise<Rvm> {
  const rvm = await Rvm.open(dir, options);
  t.teardown(() => rvm.close().catch(() => undefined));
  return rvm;
}

/** Every directory crashCopy made; removed when the test process exits. */
const copies: string[] = [];
process.on("exit", () => {
  for (const c of copies) fs.rmSync(c, { recursive: true, force: true });
});

/** Copies the files of `dir` (not LOCK) into `into` (emptied first) or a new temporary directory, and returns its path. */
export function crashCopy(dir: string, into?: string): string {
  const target = into ?? fs.mkdtempSync(path.join(os.tmpdir(), "pts-lrvm-copy-"));
  if (into !== undefined) fs.rmSync(into, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  copies.push(target);
  for (const name of fs.readdirSync(dir)) {
    if (name === "LOCK") continue;
    fs.copyFileSync(path.join(dir, name), path.join(target, name));
  }
  return target;
}

/** The log files of `dir`, in epoch order, as paths. */
export function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => parseLogFileName(n) !== null)
    .sort()
    .map((n) => path.join(dir, n));
}

/** Reads segment `name`'s file in `dir` (empty when missing). */
export function segmentFile(dir: string, name: string): Buffer {
  const p = path.join(dir, `${name}.seg`);
  return fs.existsSync(p) ? fs.readFileSync(p) : Buffer.alloc(0);
}

/** Asserts that `fn` throws (or rejects with) an RvmError of `code`, and records the code as seen. */
export async function rejectsCode(t: Test, fn: () => unknown, code: RvmErrorCode, seen?: Set<string>): Promise<void> {
  let caught: unknown = null;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof RvmError, `throws an RvmError (${code})`);
  t.equal((caught as RvmError | null)?.code, code, `code is ${code}`);
  seen?.add((caught as RvmError | null)?.code ?? "none");
}

/** One transaction that fills `length` bytes at `offset` with `value` and commits it. */
export async function commitFill(rvm: Rvm, seg: Segment, offset: number, length: number, value: number, flush = true): Promise<void> {
  const tx = rvm.begin();
  tx.setRange(seg, offset, length);
  seg.data.fill(value, offset, offset + length);
  await tx.commit({ flush });
}
