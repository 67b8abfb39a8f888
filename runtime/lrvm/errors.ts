/**
 * RvmError: every failure the LRVM library reports, with a stable `code`.
 *
 * `RVM_ERROR_CODES` is the one registry of codes: each has a one-line description and how to
 * solve it. The README's error table is checked against this list by a test, and every code
 * is thrown by at least one unit test. Messages say what went wrong and what to do.
 *
 * Guarantees: an RvmError is thrown (synchronous calls) or rejected (async calls) before any
 * state changes, except EIO, which reports that the log is no longer writable.
 *
 * @example
 *   try { tx.setRange(seg, 0, 10_000) } catch (e) { if (e instanceof RvmError && e.code === "ERANGE") ... }
 */
import { PtsError } from "../errors.ts";

/** Every RvmError code: description and how to solve. Keys equal codes. */
export const RVM_ERROR_CODES = {
  EALREADY_MAPPED: {
    description: "The segment is already mapped by this Rvm.",
    solve: "Use the Segment returned by the first map(), or unmap() it before mapping again.",
  },
  ENOT_MAPPED: {
    description: "The segment is not mapped by this Rvm (never mapped, unmapped, or mapped by another Rvm).",
    solve: "map() the segment first and pass the Segment object that map() returned.",
  },
  ERANGE: {
    description: "A range outside the segment, a negative value, or a non-integer (offset, length or size).",
    solve: "Pass non-negative safe integers with offset + length <= segment size.",
  },
  EUNCOMMITTED: {
    description: "The segment (or the Rvm, on close) is used by a transaction that is still open.",
    solve: "Commit or abort the open transactions first.",
  },
  EMAPPED: {
    description: "Destroying a segment that is mapped.",
    solve: "unmap() the segment before destroy().",
  },
  ECONFLICT: {
    description: "A range overlaps a range declared by another open transaction.",
    solve: "Commit or abort the other transaction first, or use disjoint ranges per transaction.",
  },
  ETX_ENDED: {
    description: "setRange, commit or abort on a transaction that was already committed or aborted.",
    solve: "Begin a new transaction with rvm.begin().",
  },
  ENO_RESTORE: {
    description: "abort() of a transaction begun with { restore: false }: it kept no undo copies.",
    solve: "Commit it, or begin with { restore: true } (the default) when you may need to abort.",
  },
  EBADNAME: {
    description: "A segment name that is empty, too long (over 200 UTF-8 bytes), or contains '/', '\\\\', '..' or NUL.",
    solve: "Use a plain name such as \"meta\" or \"channel-7.index\".",
  },
  ECLOSED: {
    description: "The Rvm is closed.",
    solve: "Open it again with Rvm.open(dir).",
  },
  ELOCKED: {
    description: "The directory is in use by another live Rvm (this process or another, named by the LOCK file's pid).",
    solve: "Close the other Rvm or stop that process; a lock left by a dead process is taken over automatically.",
  },
  EINVAL: {
    description: "An invalid option or argument type.",
    solve: "Check the option against the documented types and ranges.",
  },
  ECORRUPT: {
    description: "The segment table (segments.tbl) is damaged; the log is never reported this way, it is cut at the first bad record.",
    solve: "Restore the directory from a backup; the table is written atomically, so this means media damage or outside edits.",
  },
  EIO: {
    description: "Writing or syncing the redo log failed (disk full, I/O error); the Rvm refuses further commits.",
    solve: "Fix the disk, then close and reopen: recovery keeps every commit that was reported durable.",
  },
} as const satisfies Record<string, { description: string; solve: string }>;

export type RvmErrorCode = keyof typeof RVM_ERROR_CODES;

export class RvmError extends PtsError {
  declare readonly code: RvmErrorCode;

  constructor(code: RvmErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `${message}. ${RVM_ERROR_CODES[code].solve}`, options);
  }
}
