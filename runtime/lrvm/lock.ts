/**
 * The directory lock: at most one live Rvm per directory, across processes and within one.
 *
 * FORMAT: the file `LOCK` in the directory holds the owner's pid in decimal and a newline.
 *
 * RULES: the lock is created by writing the pid to a temporary file and hard-linking it to
 * `LOCK` (fails if it exists), so a LOCK is never seen without its pid. A LOCK naming a live
 * process other than this one is respected (ELOCKED). A LOCK naming a dead process (or no
 * pid at all: outside edits) is stale and taken over by renaming it aside first, so two
 * processes racing for a stale lock cannot both win: only one rename succeeds, and the loser
 * then meets the winner's fresh LOCK. Within one process a set of held directories refuses a second open, even though
 * the pid in LOCK is our own. The LOCK is transient: close() deletes it; recovery never needs it.
 */
import { link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RvmError } from "./errors.ts";
import { unlinkIfExists } from "./fsync.ts";

export const LOCK_FILE = "LOCK";
/** Directories (resolved paths) locked by an Rvm of this process. */
const heldHere = new Set<string>();
/** Makes the temporary file names of concurrent opens in this process distinct. */
let tmpCounter = 0;
/** Attempts before giving up on a lock that keeps changing hands. */
const MAX_ATTEMPTS = 8;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readPid(path: string): Promise<number | null | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // gone
    throw err;
  }
}

function heldBy(pid: number | null | undefined): boolean {
  return typeof pid === "number" && pid !== process.pid && pidAlive(pid);
}

function locked(dir: string, pid: number): RvmError {
  return new RvmError("ELOCKED", `${dir} is locked by the live process ${pid}${pid === process.pid ? " (this one)" : ""}`);
}

/** Takes the lock of `dir` (an absolute path) or throws ELOCKED. */
export async function acquireLock(dir: string): Promise<void> {
  if (heldHere.has(dir)) throw locked(dir, process.pid);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The LOCK appears with its pid already in it (link of a written file is atomic), so
    // no contender can ever read a half-made lock.
    const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
    await writeFile(tmp, `${process.pid}\n`);
    try {
      await link(tmp, path);
      if (heldHere.has(dir)) {
        await unlink(path); // another open of this process won the race
        throw locked(dir, process.pid);
      }
      heldHere.add(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      await unlinkIfExists(tmp);
    }
    const pid = await readPid(path);
    if (heldBy(pid)) throw locked(dir, pid as number);
    if (pid === process.pid && heldHere.has(dir)) throw locked(dir, pid);
    // Stale: move it aside; only one contender's rename can succeed.
    const aside = `${path}.stale.${process.pid}.${++tmpCounter}`;
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    const moved = await readPid(aside);
    if (moved !== pid && heldBy(moved)) {
      // A contender replaced the stale lock between our read and our rename: give it back.
      await rename(aside, path).catch(() => undefined);
      throw locked(dir, moved as number);
    }
    await unlinkIfExists(aside);
  }
  throw new RvmError("ELOCKED", `${dir}: the lock kept changing hands; another process is opening it`);
}

export async function releaseLock(dir: string): Promise<void> {
  if (!heldHere.delete(dir)) return;
  await unlink(join(dir, LOCK_FILE)).catch(() => undefined);
}

/** The LOCK file's pid and whether it is alive, or null when there is no LOCK (read-only). */
export async function readLock(dir: string): Promise<{ pid: number; alive: boolean } | null> {
  const pid = await readPid(join(dir, LOCK_FILE));
  if (pid === undefined) return null;
  if (pid === null) return { pid: 0, alive: false };
  return { pid, alive: pidAlive(pid) };
}
