/**
 * Segment names, their files, and the durable segment-name -> segment-id table.
 *
 * Log records name segments by a 4-byte id, not by name. Ids are handed out in increasing
 * order and never reused, so records of a destroyed segment can never land in a new segment
 * of the same name: their id is simply absent from the table, and replay skips them.
 *
 * FORMAT of `segments.tbl` (all integers unsigned little-endian):
 *
 *     offset  size  field
 *          0     8  magic: the ASCII bytes "PTSRVMST"
 *          8     4  format version, currently 1
 *         12     4  number of entries (n)
 *         16     4  next id to hand out (ids start at 1)
 *         20     4  reserved, zero
 *         24     .  n entries: id (4), name length in bytes (2), name (UTF-8)
 *        end     4  CRC32 of every byte before it
 *
 * VALIDITY: magic, version, entry bounds and checksum all match; otherwise the table is
 * damaged and Rvm.open fails with ECORRUPT (it is never written in place, so damage means
 * media failure or outside edits). A missing file is an empty table.
 *
 * CRASH ORDERING: the table is replaced whole through a temporary file that is fsynced, then
 * renamed over the old one, then the directory is fsynced (fsync.ts). A new id is durable in
 * the table before any record using it can be written (map() resolves only after that). A
 * destroyed segment leaves the table before its file is deleted; a file with no table entry
 * is ignored and overwritten by a later map() of that name.
 *
 * Segment files are `<name>.seg` in the directory. Names are validated so that no name can
 * reach outside the directory or collide with the library's own files.
 */
import { crc32 } from "node:zlib";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RvmError } from "./errors.ts";
import { replaceFileDurably } from "./fsync.ts";

export const TABLE_FILE = "segments.tbl";
/** Suffix of segment files; no file of the library's own ends with it. */
export const SEGMENT_SUFFIX = ".seg";
/** Longest segment name, in UTF-8 bytes (leaves room for the suffix within NAME_MAX 255). */
export const MAX_NAME_BYTES = 200;

const TABLE_MAGIC = Buffer.from("PTSRVMST", "latin1");
const TABLE_VERSION = 1;
const T_MAGIC = 0;
const T_VERSION = T_MAGIC + TABLE_MAGIC.length;
const T_COUNT = T_VERSION + 4;
const T_NEXT_ID = T_COUNT + 4;
const T_RESERVED = T_NEXT_ID + 4;
/** Bytes of the table header. */
const TABLE_HEADER_BYTES = T_RESERVED + 4;
/** Entry fields: id, then name length, then the name. */
const E_ID = 0;
const E_NAME_LENGTH = E_ID + 4;
const ENTRY_HEADER_BYTES = E_NAME_LENGTH + 2;
const TABLE_TRAILER_BYTES = 4;

/** Throws EBADNAME unless `name` is a safe segment name. */
export function validateSegmentName(name: unknown): asserts name is string {
  const why =
    typeof name !== "string"
      ? "not a string"
      : name.length === 0
        ? "empty"
        : Buffer.byteLength(name) > MAX_NAME_BYTES
          ? `longer than ${MAX_NAME_BYTES} UTF-8 bytes`
          : /[/\\\0]/.test(name)
            ? "contains '/', '\\' or NUL"
            : name.includes("..")
              ? "contains '..'"
              : null;
  if (why !== null) throw new RvmError("EBADNAME", `invalid segment name ${JSON.stringify(String(name)).slice(0, 80)}: ${why}`);
}

export function segmentPath(dir: string, name: string): string {
  return join(dir, name + SEGMENT_SUFFIX);
}

/** The segment table in memory; `save()` makes it durable. */
export class SegmentTable {
  readonly byName = new Map<string, number>();
  readonly byId = new Map<number, string>();
  nextId = 1;

  constructor(readonly dir: string) {}

  static async load(dir: string): Promise<SegmentTable> {
    const table = new SegmentTable(dir);
    let buf: Buffer;
    try {
      buf = await readFile(join(dir, TABLE_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return table;
      throw err;
    }
    table.decode(buf);
    return table;
  }

  private decode(buf: Buffer): void {
    const bad = (why: string): RvmError => new RvmError("ECORRUPT", `segment table ${join(this.dir, TABLE_FILE)} is damaged: ${why}`);
    if (buf.length < TABLE_HEADER_BYTES + TABLE_TRAILER_BYTES) throw bad("too short");
    const end = buf.length - TABLE_TRAILER_BYTES;
    if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) throw bad("checksum mismatch");
    if (!buf.subarray(T_MAGIC, T_MAGIC + TABLE_MAGIC.length).equals(TABLE_MAGIC)) throw bad("bad magic");
    if (buf.readUInt32LE(T_VERSION) !== TABLE_VERSION) throw bad(`unknown version ${buf.readUInt32LE(T_VERSION)}`);
    const count = buf.readUInt32LE(T_COUNT);
    this.nextId = buf.readUInt32LE(T_NEXT_ID);
    let p = TABLE_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (p + ENTRY_HEADER_BYTES > end) throw bad("entries overrun the file");
      const id = buf.readUInt32LE(p + E_ID);
      const len = buf.readUInt16LE(p + E_NAME_LENGTH);
      p += ENTRY_HEADER_BYTES;
      if (p + len > end) throw bad("entries overrun the file");
      const name = buf.toString("utf8", p, p + len);
      p += len;
      if (id >= this.nextId || this.byId.has(id) || this.byName.has(name)) throw bad(`inconsistent entry ${id}`);
      this.byName.set(name, id);
      this.byId.set(id, name);
    }
    if (p !== end) throw bad("trailing bytes");
  }

  encode(): Buffer {
    const entries = [...this.byName].map(([name, id]) => ({ id, name: Buffer.from(name, "utf8") }));
    const size = TABLE_HEADER_BYTES + entries.reduce((n, e) => n + ENTRY_HEADER_BYTES + e.name.length, 0) + TABLE_TRAILER_BYTES;
    const buf = Buffer.alloc(size);
    TABLE_MAGIC.copy(buf, T_MAGIC);
    buf.writeUInt32LE(TABLE_VERSION, T_VERSION);
    buf.writeUInt32LE(entries.length, T_COUNT);
    buf.writeUInt32LE(this.nextId, T_NEXT_ID);
    let p = TABLE_HEADER_BYTES;
    for (const e of entries) {
      buf.writeUInt32LE(e.id, p + E_ID);
      buf.writeUInt16LE(e.name.length, p + E_NAME_LENGTH);
      e.name.copy(buf, p + ENTRY_HEADER_BYTES);
      p += ENTRY_HEADER_BYTES + e.name.length;
    }
    buf.writeUInt32LE(crc32(buf.subarray(0, p)), p);
    return buf;
  }

  /** Adds `name` with a fresh id (not yet durable: call save()). */
  add(name: string): number {
    const id = this.nextId++;
    this.byName.set(name, id);
    this.byId.set(id, name);
    return id;
  }

  remove(name: string): void {
    const id = this.byName.get(name);
    if (id === undefined) return;
    this.byName.delete(name);
    this.byId.delete(id);
  }

  save(): Promise<void> {
    return replaceFileDurably(join(this.dir, TABLE_FILE), this.encode());
  }
}
