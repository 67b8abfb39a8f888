/**
 * JsonLinesFileSource: reads JSON lines (one reading per line) from a file into a channel, and
 * optionally follows the file as it grows, like `tail -F`.
 *
 * Guarantees:
 * - Every complete line is read once, in order. A malformed line, a line without a valid
 *   timestamp, or a line over maxLineBytes is counted in `stats().errors` and skipped; the source
 *   keeps reading. Blank lines are ignored.
 * - Without `follow`, the source reads to the end (a last line without a newline counts) and
 *   ends: `done()` resolves. `start()` rejects when the file cannot be opened.
 * - With `follow`, it waits for appended lines (polling every pollMs), holds a partial last line
 *   until its newline arrives, starts again from the top when the file is truncated, and moves to
 *   the new file when it is replaced (log rotation), after finishing the old one. A missing file
 *   is waited for, retried with backoff and counted under "io".
 * - Rate limiting holds reading back; nothing is dropped unless whenLimited is "drop".
 *
 * @example
 *   const source = new JsonLinesFileSource({
 *     channel: await rt.channel("temperature"), path: "readings.jsonl",
 *     follow: true, timestamp: { field: "time", unit: "iso" },
 *   });
 *   await source.start();
 *   // … later
 *   await source.stop();
 *   console.log(source.stats());   // { readings, bytes, errors: { malformed, … }, … }
 *
 * @param path     the file to read
 * @param follow   keep reading appended lines (default false)
 * @param from     with follow: "start" (default) reads the existing lines first; "end" only new ones
 * @param pollMs   with follow: how often to look for new data (default 200)
 * @param maxLineBytes  longer lines are skipped as "too_large" (default 1 MiB)
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { sleep } from "../../runtime/index.ts";
import { LineSplitter, SourceBase, endLines, feedLines } from "./readingInternals.ts";
import type { SourceOptions } from "./types.ts";

export type JsonLinesFileSourceOptions<T> = SourceOptions<T> & {
  path: string;
  follow?: boolean;
  from?: "start" | "end";
  pollMs?: number;
  maxLineBytes?: number;
};

const CHUNK = 64 * 1024;

export class JsonLinesFileSource<T = unknown> extends SourceBase<T> {
  readonly path: string;
  private readonly follow: boolean;
  private readonly from: "start" | "end";
  private readonly pollMs: number;
  private readonly splitter: LineSplitter;
  private handle: FileHandle | undefined;

  constructor(options: JsonLinesFileSourceOptions<T>) {
    super("jsonl-file", options);
    this.path = options.path;
    this.follow = options.follow ?? false;
    this.from = options.from ?? "start";
    this.pollMs = options.pollMs ?? 200;
    this.splitter = new LineSplitter(options.maxLineBytes ?? 1 << 20);
  }

  protected override async open(): Promise<void> {
    if (!this.follow) this.handle = await open(this.path, "r");
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    if (!this.follow) {
      try {
        await this.readToEnd(this.handle!, 0, signal);
        await this.lastLine(signal);
      } finally {
        await this.close();
      }
      return;
    }
    const backoff = this.backoff();
    let first = true;
    while (!signal.aborted) {
      let handle: FileHandle;
      try {
        handle = await open(this.path, "r");
      } catch (err) {
        this.ingest.fail("io", `cannot open ${this.path}: ${(err as Error).message}`);
        await sleep(backoff.next(), signal).catch(() => undefined);
        continue;
      }
      this.handle = handle;
      this.connected = true;
      backoff.reset();
      try {
        const position = first && this.from === "end" ? (await handle.stat()).size : 0;
        first = false;
        await this.tail(handle, position, signal);
      } finally {
        this.connected = false;
        this.handle = undefined;
        await handle.close().catch(() => undefined);
      }
    }
  }

  /** Follows one open file until it is replaced or the signal aborts. */
  private async tail(handle: FileHandle, position: number, signal: AbortSignal): Promise<void> {
    const { ino } = await handle.stat();
    while (!signal.aborted) {
      position = await this.readToEnd(handle, position, signal);
      await sleep(this.pollMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      const size = (await handle.stat()).size;
      if (size < position) {
        // Truncated in place: start again from the top; a partial line from before is gone.
        this.splitter.discard();
        position = 0;
        continue;
      }
      const current = await stat(this.path).catch(() => undefined);
      if (current?.ino !== ino && size === position) {
        // Replaced (rotated) and the old file is read to its end: move on to the new one.
        await this.lastLine(signal);
        return;
      }
    }
  }

  /** Reads from position to the current end, feeding lines; returns the new position. */
  private async readToEnd(handle: FileHandle, position: number, signal: AbortSignal): Promise<number> {
    // One buffer per read loop, reused for every chunk: lines are decoded (copied) before the next read.
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (!signal.aborted) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      await feedLines(buffer.subarray(0, bytesRead), this.ingest, this.splitter, signal, this.path);
    }
    return position;
  }

  private lastLine(signal: AbortSignal): Promise<void> {
    return endLines(this.ingest, this.splitter, signal, this.path, "keep");
  }

  protected override async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}
