/**
 * JPEG byte-level helpers shared by the camera sources: the marker check every frame passes,
 * and JpegSplitter, which cuts a byte stream of back-to-back JPEGs (ffmpeg's `-f mjpeg`, or a
 * multipart stream without a usable boundary) into whole JPEG files.
 *
 * The splitter walks the JPEG marker structure rather than looking for the next FF D8: a
 * segment's length is skipped whole (an EXIF thumbnail inside APP1 carries its own SOI/EOI),
 * and entropy-coded data is scanned for FF followed by anything but 00 (stuffing) or D0-D7
 * (restart markers), which is where the scan ends.
 */

/** The first byte after the EOI marker, when `jpeg` starts with SOI and ends with EOI (trailing
 * CR/LF/NUL padding allowed, as some cameras send it); -1 otherwise. */
export function jpegEnd(jpeg: Uint8Array): number {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return -1;
  let end = jpeg.length;
  while (end > 2 && (jpeg[end - 1] === 0x0a || jpeg[end - 1] === 0x0d || jpeg[end - 1] === 0x00)) end--;
  return jpeg[end - 2] === 0xff && jpeg[end - 1] === 0xd9 ? end : -1;
}

/** Width and height from a JPEG's frame header (SOF0..SOF15 but DHT, JPG, DAC), read by
 * walking the segments before the scan; undefined when there is none. */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) return undefined;
    const m = jpeg[p + 1];
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m === 0xda || m === 0xd9) return undefined;
    const len = (jpeg[p + 2] << 8) | jpeg[p + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 9 > jpeg.length) return undefined;
      return { height: (jpeg[p + 5] << 8) | jpeg[p + 6], width: (jpeg[p + 7] << 8) | jpeg[p + 8] };
    }
    p += 2 + len;
  }
  return undefined;
}

/** Cuts back-to-back JPEGs out of a byte stream; bytes between images are skipped and counted. */
export class JpegSplitter {
  /** One buffer reused across chunks and frames: the stream is copied in once, and each whole
   * JPEG copied out once, instead of concatenating every chunk with what is pending. */
  private buf: Buffer;
  /** buf's filled part: searches run on it so they never see stale bytes past len. */
  private view: Buffer;
  private len = 0;
  /** Where the current image starts (-1: looking for SOI) and how far it has been walked. */
  private start = -1;
  private pos = 0;
  /** Inside entropy-coded data (after SOS), where lengths do not apply. */
  private inScan = false;
  /** Bytes skipped outside images, and images dropped for exceeding maxBytes. */
  skipped = 0;
  oversized = 0;

  constructor(private readonly maxBytes = 16 << 20) {
    this.buf = Buffer.allocUnsafe(256 << 10);
    this.view = this.buf.subarray(0, 0);
  }

  /** Feeds a chunk; returns the JPEGs it completed, each a fresh Buffer. */
  push(chunk: Uint8Array): Buffer[] {
    this.append(chunk);
    const out: Buffer[] = [];
    for (;;) {
      const jpeg = this.next();
      if (jpeg === null) break;
      out.push(jpeg);
    }
    this.compact();
    return out;
  }

  /** Bytes of an image begun but not finished (a truncated stream, when the stream has ended). */
  get pending(): number {
    return this.start < 0 ? 0 : this.len - this.start;
  }

  reset(): void {
    this.len = 0;
    this.view = this.buf.subarray(0, 0);
    this.start = -1;
    this.pos = 0;
    this.inScan = false;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.view = this.buf.subarray(0, this.len);
  }

  private compact(): void {
    const done = this.start < 0 ? this.pos : this.start; // bytes nothing will look at again
    if (done === 0) return;
    this.buf.copy(this.buf, 0, done, this.len);
    this.len -= done;
    this.view = this.buf.subarray(0, this.len);
    this.pos -= done;
    if (this.start >= 0) this.start -= done;
  }

  /** Advances through the buffered bytes; returns a whole JPEG, or null when more bytes are needed. */
  private next(): Buffer | null {
    const b = this.view;
    if (this.start < 0) {
      const soi = this.findSoi();
      if (soi < 0) return null;
      this.skipped += soi - this.pos;
      this.start = soi;
      this.pos = soi + 2;
      this.inScan = false;
    }
    for (;;) {
      if (this.pos - this.start > this.maxBytes) {
        this.oversized++;
        this.start = -1;
        return this.next();
      }
      if (this.inScan) {
        const ff = b.indexOf(0xff, this.pos);
        if (ff < 0 || ff + 1 >= this.len) {
          this.pos = ff < 0 ? this.len : ff;
          return null;
        }
        const m = b[ff + 1];
        if (m === 0x00 || (m >= 0xd0 && m <= 0xd7) || m === 0xff) {
          this.pos = m === 0xff ? ff + 1 : ff + 2;
          continue;
        }
        this.inScan = false;
        this.pos = ff;
        continue;
      }
      if (this.pos + 1 >= this.len) return null;
      if (b[this.pos] !== 0xff) {
        // Not a marker where one must be: the image is damaged; look for the next SOI.
        this.skipped += this.pos - this.start;
        this.start = -1;
        return this.next();
      }
      const m = b[this.pos + 1];
      if (m === 0xff) {
        this.pos++; // fill byte
        continue;
      }
      if (m === 0xd9) {
        const end = this.pos + 2;
        const jpeg = Buffer.from(b.subarray(this.start, end));
        this.start = -1;
        this.pos = end;
        return jpeg;
      }
      if (m === 0xd8) {
        // A new SOI inside an image: the previous one was cut short.
        this.skipped += this.pos - this.start;
        this.start = this.pos;
        this.pos += 2;
        continue;
      }
      if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
        this.pos += 2;
        continue;
      }
      if (this.pos + 3 >= this.len) return null;
      const segLen = b.readUInt16BE(this.pos + 2);
      if (segLen < 2) {
        this.skipped += this.pos - this.start;
        this.start = -1;
        return this.next();
      }
      if (this.pos + 2 + segLen > this.len) return null;
      this.pos += 2 + segLen;
      if (m === 0xda) this.inScan = true;
    }
  }

  private findSoi(): number {
    let i = this.pos;
    for (;;) {
      i = this.view.indexOf(0xff, i);
      if (i < 0 || i + 1 >= this.len) {
        const stop = i < 0 ? this.len : i; // a trailing FF may begin the next SOI
        this.skipped += stop - this.pos;
        this.pos = stop;
        return -1;
      }
      if (this.view[i + 1] === 0xd8) return i;
      i++;
    }
  }
}
