/**
 * DirectoryCamera: replays the image files of a directory, or of a glob such as
 * `/data/run1/frame-*.jpg`, into a channel at a rate, in name order (numbers compared as
 * numbers: frame-9 before frame-10), once or looping.
 *
 * Guarantees:
 * - `rate` files per second (default 10). JPEGs are put as they are; other images sharp reads
 *   (PNG, WebP, TIFF, …) are encoded to JPEG first. A file that cannot be read or is not a sane
 *   image is counted and skipped.
 * - Timestamps: `"rate"` (default) spaces frames 1/rate s apart from `startTs` (default: the
 *   time start() was called); `"mtime"` uses each file's modification time (µs). Looping keeps
 *   them increasing: each pass is shifted past the previous one.
 * - Without `loop`, the source ends after the last file (`finished` resolves, state "ended").
 *   The file list is read again at each pass; a missing or empty directory is counted ("read")
 *   and retried with backoff.
 *
 * @example
 *   const cam = new DirectoryCamera({ path: "recordings/door/*.jpg", rate: 5, loop: true, channel: video }).start();
 *
 * @param options.path        a directory, or a directory followed by a pattern with * ? [abc]
 * @param options.loop        start over after the last file (default false)
 * @param options.timestamps  "rate" (default) or "mtime"
 * @param options.startTs     first timestamp with timestamps "rate"
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { RateLimiter, now } from "../runtime/index.ts";
import { SensorError } from "./errors.ts";
import { CameraBase } from "./cameraInternals.ts";
import type { CameraOptions } from "./types.ts";

export type DirectoryCameraOptions = CameraOptions & {
  path: string;
  loop?: boolean;
  timestamps?: "rate" | "mtime";
  startTs?: number;
};

const IMAGE = /\.(jpe?g|png|webp|tiff?|gif|avif|heic)$/i;
const JPEG = /\.jpe?g$/i;
const collator = new Intl.Collator("en", { numeric: true });

export class DirectoryCamera extends CameraBase {
  private readonly dir: string;
  private readonly pattern: RegExp;
  private readonly loop: boolean;
  private readonly timestamps: "rate" | "mtime";
  private readonly pace: RateLimiter;
  private readonly stepUs: number;
  private startTs: number | undefined;
  /** Frames replayed so far (rate timestamps) and the shift of the current pass (mtime). */
  private replayed = 0;
  private shift = 0;

  constructor(options: DirectoryCameraOptions) {
    super({ ...options, rate: undefined }, path.basename(options.path.replace(/[/\\]+$/, "")) || options.path);
    const { dir, pattern } = splitGlob(options.path);
    this.dir = dir;
    this.pattern = pattern;
    this.loop = options.loop ?? false;
    this.timestamps = options.timestamps ?? "rate";
    const rate = options.rate ?? 10;
    this.pace = new RateLimiter(rate, 1);
    this.stepUs = Math.max(1, Math.round(1e6 / rate));
    this.startTs = options.startTs;
  }

  protected async session(signal: AbortSignal): Promise<"done" | void> {
    this.startTs ??= now();
    for (;;) {
      const files = await this.list();
      let first = -1;
      let last = -1;
      for (const file of files) {
        await this.pace.take(signal);
        const image = await this.read(file);
        if (image === undefined) continue;
        let ts: number;
        if (this.timestamps === "rate") {
          ts = this.startTs + this.replayed * this.stepUs;
        } else {
          if (first < 0) first = image.mtime;
          last = image.mtime;
          ts = image.mtime + this.shift;
        }
        this.replayed++;
        await this.frame(image.jpeg, ts);
      }
      if (!this.loop || signal.aborted) return "done";
      if (first >= 0) this.shift += last - first + this.stepUs;
    }
  }

  private async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      throw new SensorError(this.id, "read", `cannot list ${this.dir}: ${(err as Error).message}`, err);
    }
    const files = names.filter((n) => this.pattern.test(n)).sort(collator.compare);
    if (files.length === 0) throw new SensorError(this.id, "read", `no image files match ${path.join(this.dir, this.pattern.source)}`);
    return files.map((n) => path.join(this.dir, n));
  }

  private async read(file: string): Promise<{ jpeg: Buffer; mtime: number } | undefined> {
    try {
      const [bytes, st] = await Promise.all([readFile(file), this.timestamps === "mtime" ? stat(file, { bigint: true }) : undefined]);
      const mtime = st ? Number(st.mtimeNs / 1000n) : 0;
      if (JPEG.test(file)) return { jpeg: bytes, mtime };
      try {
        return { jpeg: await sharp(bytes).jpeg({ quality: 90 }).toBuffer(), mtime };
      } catch (err) {
        this.count(new SensorError(this.id, "corrupt", `${file}: ${(err as Error).message}`, err));
        return undefined;
      }
    } catch (err) {
      this.count(new SensorError(this.id, "read", `${file}: ${(err as Error).message}`, err));
      return undefined;
    }
  }
}

/** A directory, or a directory and a file-name pattern (* ? [abc]) as a RegExp. */
function splitGlob(p: string): { dir: string; pattern: RegExp } {
  const base = path.basename(p);
  if (!/[*?[]/.test(base)) return { dir: p, pattern: IMAGE };
  const re = base.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return { dir: path.dirname(p), pattern: new RegExp(`^${re}$`) };
}
