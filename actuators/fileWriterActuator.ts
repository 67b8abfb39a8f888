/**
 * FileWriterActuator: writes each item as a JSON file into a directory and, when the item carries
 * a JPEG frame, the frame as a .jpg beside it — snapshots of what a pipeline found.
 *
 * Guarantees:
 * - Files are named `<prefix>-<ts>.json` and `<prefix>-<ts>.jpg` (ts in µs, so names sort in time
 *   order) and appear whole: each is written to a temporary name and renamed.
 * - The JPEG is the item's value itself when that is bytes, or its `frameField` (default: the
 *   first top-level field holding bytes that start with the JPEG marker FF D8 FF). The bytes are
 *   written as they are: annotate them first (the camera frame helpers draw boxes). In the JSON,
 *   that field becomes `{ "file": "<name>.jpg", "bytes": n }`; other binary fields are base64.
 * - A failed write is reason "write", and retried.
 *
 * @example
 *   const snapshots = new FileWriterActuator({ dir: "./snapshots", prefix: "motion" });
 *   attach(snapshots, await rt.lookup("detections"));
 *   // ./snapshots/motion-1764064800000000.json, ./snapshots/motion-1764064800000000.jpg
 *
 * @param dir         the directory (created if missing)
 * @param prefix      file name prefix (default "event")
 * @param frameField  the field holding the JPEG bytes (default: found by its marker)
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Item } from "../channels/index.ts";
import { BaseActuator } from "./baseActuator.ts";
import { ActuatorError } from "./errors.ts";
import { eventOf, toJson } from "./actuatorInternals.ts";
import type { ActuatorOptions } from "./types.ts";

export type FileWriterActuatorOptions = ActuatorOptions & { dir: string; prefix?: string; frameField?: string };

function isJpeg(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.byteLength >= 3 && v[0] === 0xff && v[1] === 0xd8 && v[2] === 0xff;
}

export class FileWriterActuator<T = unknown> extends BaseActuator<T> {
  readonly dir: string;
  private readonly prefix: string;
  private readonly frameField: string | undefined;
  private made: Promise<unknown> | undefined;

  constructor(options: FileWriterActuatorOptions) {
    super("file-writer", options);
    this.dir = options.dir;
    this.prefix = options.prefix ?? "event";
    this.frameField = options.frameField;
  }

  /** The JPEG bytes of an item and the field they are in ("" for the value itself), if any. */
  private frameOf(value: unknown): { jpeg: Uint8Array; field: string } | undefined {
    if (value instanceof Uint8Array) return isJpeg(value) ? { jpeg: value, field: "" } : undefined;
    if (value === null || typeof value !== "object") return undefined;
    const record = value as Record<string, unknown>;
    if (this.frameField !== undefined) {
      const v = record[this.frameField];
      return v instanceof Uint8Array ? { jpeg: v, field: this.frameField } : undefined;
    }
    for (const field of Object.keys(record)) if (isJpeg(record[field])) return { jpeg: record[field] as Uint8Array, field };
    return undefined;
  }

  protected override async attempt(item: Item<T>, signal: AbortSignal): Promise<void> {
    const base = `${this.prefix}-${item.ts}`;
    const frame = this.frameOf(item.value);
    const jpgName = `${base}.jpg`;
    const event = eventOf(item);
    const json = frame
      ? toJson(frame.field === "" ? { ...event, value: { file: jpgName, bytes: frame.jpeg.byteLength } } : event, (b, key) => (b === frame.jpeg && key === frame.field ? { file: jpgName, bytes: b.byteLength } : Buffer.from(b).toString("base64")))
      : toJson(event);
    try {
      this.made ??= mkdir(this.dir, { recursive: true });
      await this.made.catch((err: unknown) => {
        this.made = undefined;
        throw err;
      });
      if (frame) await writeWhole(join(this.dir, jpgName), frame.jpeg, signal);
      await writeWhole(join(this.dir, `${base}.json`), json, signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new ActuatorError("write", `cannot write ${base} into ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Writes to a temporary name and renames, so a reader never sees a half-written file. */
async function writeWhole(path: string, data: string | Uint8Array, signal: AbortSignal): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { signal });
  await rename(tmp, path);
}
