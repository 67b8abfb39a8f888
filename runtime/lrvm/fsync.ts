/**
 * Durability helpers shared by the LRVM files (and, for syncDir, the persistent channels'
 * store): fsync of a directory, atomic file replace, and the callback-to-promise form of
 * fdatasync used on the commit path.
 *
 * Guarantee: when `replaceFileDurably` resolves, `path` holds `data` on disk, and a crash at
 * any point leaves either the old or the new contents at `path`, never a mix.
 */
import fs from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/** fsync of a directory: makes creations, renames and deletions in it durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fdatasync through the callback API: measurably cheaper per call than FileHandle.datasync(). */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Writes `data` to `path` through a synced temporary file, a rename and a directory fsync. */
export async function replaceFileDurably(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** Unlinks `path`, ignoring a file that is already gone. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
