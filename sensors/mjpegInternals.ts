/**
 * MultipartParser: cuts a multipart/x-mixed-replace body (what MJPEG IP cameras and ffmpeg's
 * `mpjpeg` muxer serve) into its parts, for MjpegCamera.
 *
 * - Chunks may split anything: the boundary line, the headers, the body.
 * - A part with Content-Length is taken by length, without scanning its body for the boundary
 *   (the fast path) — except one native memmem over the body to catch a part that is shorter
 *   than it claims: the delimiter found inside it marks the part as truncated and the parse
 *   resumes at that delimiter, so the next frame is not lost.
 * - A part without Content-Length ends at the next delimiter ("\r\n--boundary"), so it is
 *   delivered when the next part begins: one frame later than with Content-Length.
 * - Bytes before the first delimiter (preamble) and between parts are skipped.
 */

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2]) : undefined;
}

export type Part = { body: Buffer; truncated: boolean };

const CRLFCRLF = Buffer.from("\r\n\r\n");
const LFLF = Buffer.from("\n\n");
const MAX_HEADERS = 16 << 10;

export class MultipartParser {
  private readonly delim: Buffer;
  private readonly dashed: boolean;
  private pending: Buffer = Buffer.alloc(0);
  private state: "boundary" | "headers" | "body" = "boundary";
  private length = -1;
  /** How far the pending bytes have been searched for the current token, so a search is not
   * repeated over bytes already seen when the next chunk arrives. */
  private searched = 0;
  /** Bytes skipped between parts (preamble, junk). */
  skipped = 0;

  constructor(boundary: string) {
    // Cameras disagree on whether the header's boundary includes the leading "--": searching
    // for "--" + a boundary without it also finds it in a body that doubles the dashes.
    this.dashed = boundary.startsWith("--");
    this.delim = Buffer.from(this.dashed ? boundary : `--${boundary}`);
  }

  /** Bytes of a part begun but not finished. */
  get partial(): number {
    return this.state === "boundary" ? 0 : this.pending.length;
  }

  /** Feeds a chunk; returns the parts it completed. */
  push(chunk: Buffer): Part[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const parts: Part[] = [];
    for (;;) {
      const p = this.pending;
      if (this.state === "boundary") {
        const at = p.indexOf(this.delim, Math.max(0, this.searched - this.delim.length));
        if (at < 0) {
          this.searched = p.length;
          if (p.length > MAX_HEADERS) this.drop(p.length - this.delim.length);
          return parts;
        }
        const eol = p.indexOf(0x0a, at + this.delim.length);
        if (eol < 0) return parts;
        this.skipped += at;
        this.take(eol + 1);
        this.state = "headers";
      } else if (this.state === "headers") {
        let end = p.indexOf(CRLFCRLF);
        let sep = 4;
        const lf = p.indexOf(LFLF);
        if (lf >= 0 && (end < 0 || lf < end)) {
          end = lf;
          sep = 2;
        }
        if (end < 0 && p.length > 0 && (p[0] === 0x0a || (p[0] === 0x0d && p[1] === 0x0a))) {
          // no headers at all: the blank line comes right after the boundary
          end = 0;
          sep = p[0] === 0x0a ? 1 : 2;
        }
        if (end < 0) {
          if (p.length > MAX_HEADERS) this.resync();
          if (p.length > MAX_HEADERS) continue;
          return parts;
        }
        const m = /content-length:\s*(\d+)/i.exec(p.toString("latin1", 0, end));
        this.length = m ? Number(m[1]) : -1;
        this.take(end + sep);
        this.state = "body";
      } else if (this.length >= 0) {
        if (p.length < this.length) return parts;
        const body = p.subarray(0, this.length);
        const inside = body.indexOf(this.delim);
        if (inside >= 0) {
          parts.push({ body: Buffer.from(body.subarray(0, inside)), truncated: true });
          this.take(inside);
        } else {
          parts.push({ body: Buffer.from(body), truncated: false });
          this.take(this.length);
        }
        this.state = "boundary";
      } else {
        const at = p.indexOf(this.delim, Math.max(0, this.searched - this.delim.length));
        if (at < 0) {
          this.searched = p.length;
          return parts;
        }
        // The CRLF before the delimiter belongs to the delimiter, not to the body; so do the
        // doubled dashes of a body that writes "--" before a boundary that already has them.
        let end = at;
        if (this.dashed) while (end > 0 && p[end - 1] === 0x2d) end--;
        if (end > 0 && p[end - 1] === 0x0a) end--;
        if (end > 0 && p[end - 1] === 0x0d) end--;
        parts.push({ body: Buffer.from(p.subarray(0, end)), truncated: false });
        this.take(at);
        this.state = "boundary";
      }
    }
  }

  /** Drops what is pending (after the stream ended or was cut); returns how many bytes it was. */
  reset(): number {
    const n = this.partial;
    this.pending = Buffer.alloc(0);
    this.state = "boundary";
    this.searched = 0;
    return n;
  }

  private take(n: number): void {
    this.pending = this.pending.subarray(n);
    this.searched = 0;
  }

  private drop(n: number): void {
    this.skipped += n;
    this.take(n);
  }

  /** Headers that never end: skip to the next delimiter. */
  private resync(): void {
    this.state = "boundary";
    this.drop(1);
  }
}
