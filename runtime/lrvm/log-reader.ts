/**
 * LogReader: sequential reading of a log file in large chunks, with read-ahead.
 *
 * While the caller checks and replays the records of one chunk, the next chunk is already
 * being read by libuv's thread pool into a second buffer, so reading and replay overlap
 * (recovery runs at about the speed of reading + checksumming the log). The bytes of a
 * record that straddles two chunks are moved in front of the next chunk (into HEAD bytes
 * of headroom reserved there), so every record is visited whole, in place, without copying
 * it. A record larger than the headroom restarts the pipeline with a buffer large enough.
 *
 * Guarantee: after `await ensure(pos, n)`, file bytes [pos, pos+n) are at
 * `buf[pos - bufStart ..]`, valid until the next `ensure`. Reads never go past `fileBytes`.
 */
import type { FileHandle } from "node:fs/promises";

/** Bytes read per chunk. */
const CHUNK_BYTES = 8 << 20;
/** Headroom in front of each chunk for the tail of a record that straddles chunks. */
const HEAD_BYTES = 1 << 20;

export class LogReader {
  /** The buffer holding [validFrom, validTo) of the file, at index (offset - bufStart). */
  buf: Buffer;
  bufStart = 0;
  validFrom = 0;
  validTo = 0;
  private spare: Buffer;
  private readonly head: number;
  private readonly chunk: number;
  private pending: Promise<number> | null = null;
  private pendingAt = 0;
  /** File offset up to which reads were reported: a restart re-reads, but reports only new bytes. */
  private reported = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly fileBytes: number,
    private readonly onRead?: (bytes: number) => void,
  ) {
    // Small files get small buffers: recovery opens many tiny logs in tests and tools.
    this.head = Math.min(HEAD_BYTES, fileBytes);
    this.chunk = Math.max(1, Math.min(CHUNK_BYTES, fileBytes));
    this.buf = Buffer.allocUnsafe(this.head + this.chunk);
    this.spare = Buffer.allocUnsafe(this.head + this.chunk);
    this.prefetch(0);
  }

  private prefetch(at: number): void {
    if (at >= this.fileBytes) {
      this.pending = null;
      return;
    }
    this.pendingAt = at;
    const want = Math.min(this.chunk, this.fileBytes - at);
    this.pending = this.fh.read(this.spare, this.head, want, at).then((r) => r.bytesRead);
  }

  /** Makes file bytes [pos, pos+n) readable in `buf`; pos >= validFrom and pos + n <= file size. */
  async ensure(pos: number, n: number): Promise<void> {
    while (pos + n > this.validTo) {
      const leftover = this.validTo - pos;
      if (this.pending === null || this.pendingAt !== this.validTo || leftover > this.head || leftover < 0 || n > this.head + this.chunk) {
        await this.restart(pos, n);
        continue;
      }
      const got = await this.pending;
      this.pending = null;
      if (got === 0) throw new Error("log file shrank while being read");
      this.buf.copy(this.spare, this.head - leftover, pos - this.bufStart, this.validTo - this.bufStart);
      const fresh = this.spare;
      this.spare = this.buf;
      this.buf = fresh;
      this.bufStart = this.validTo - this.head;
      this.validFrom = pos;
      this.validTo += got;
      this.report();
      this.prefetch(this.validTo);
    }
  }

  private report(): void {
    if (this.validTo <= this.reported) return;
    this.onRead?.(this.validTo - this.reported);
    this.reported = this.validTo;
  }

  /** Reads [pos, pos + max(n, chunk)) afresh into a buffer large enough, then resumes read-ahead. */
  private async restart(pos: number, n: number): Promise<void> {
    if (this.pending !== null) await this.pending; // never two reads into one buffer
    this.pending = null;
    const size = Math.max(n, this.chunk);
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    const want = Math.min(size, this.fileBytes - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(this.buf, got, want - got, pos + got);
      if (bytesRead === 0) throw new Error("log file shrank while being read");
      got += bytesRead;
    }
    this.bufStart = pos;
    this.validFrom = pos;
    this.validTo = pos + got;
    this.report();
    this.prefetch(this.validTo);
  }

  /** Waits for a read still in flight (before the file is closed). */
  async settle(): Promise<void> {
    if (this.pending !== null) await this.pending.catch(() => 0);
    this.pending = null;
  }
}
