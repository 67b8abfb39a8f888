/**
 * ChannelMeta: a persistent channel's meta segment (format.ts): its name and codec, the table
 * of data files with their committed watermarks, and the named consumers' durable cursors.
 *
 * Like FileIndex, every change is made to the segment's buffer and returned as the byte ranges
 * the caller declares in the LRVM transaction that commits it.
 */
import type { Segment } from "../../runtime/lrvm/index.ts";
import type { ByteRange } from "./fileIndex.ts";
import {
  CODEC_BYTES,
  CONSUMERS_AT,
  CONSUMER_CURSOR_AT,
  CONSUMER_NAME_AT,
  CONSUMER_NAME_BYTES,
  CONSUMER_SIZE,
  FILES_AT,
  FILE_ENTRY_SIZE,
  FILE_SLOTS_AT,
  FILE_WATERMARK_AT,
  FORMAT_VERSION,
  MAX_CONSUMERS,
  MAX_FILES,
  UPGRADABLE_VERSION,
  META_CODEC_AT,
  META_CODEC_LEN_AT,
  META_FILE_COUNT_AT,
  META_MAGIC,
  META_NAME_AT,
  META_NAME_LEN_AT,
  META_NEXT_FILE_AT,
  NAME_BYTES,
} from "./format.ts";

export type FileEntry = { n: number; slots: number; watermark: number };

export class ChannelMeta {
  constructor(readonly seg: Segment) {}

  static init(seg: Segment, name: string, codec: string): ByteRange {
    const d = seg.data;
    d.fill(0);
    d.writeUInt32LE(META_MAGIC, 0);
    d.writeUInt32LE(FORMAT_VERSION, 4);
    const nameLen = d.write(name, META_NAME_AT, NAME_BYTES, "utf8");
    d.writeUInt32LE(nameLen, META_NAME_LEN_AT);
    const codecLen = d.write(codec, META_CODEC_AT, CODEC_BYTES, "utf8");
    d.writeUInt32LE(codecLen, META_CODEC_LEN_AT);
    d.writeUInt32LE(1, META_NEXT_FILE_AT);
    return { seg, offset: 0, length: seg.size };
  }

  /** Whether the segment holds a valid meta header, of this version or one open() upgrades. */
  get isValid(): boolean {
    const d = this.seg.data;
    return d.readUInt32LE(0) === META_MAGIC && (this.version === FORMAT_VERSION || this.version === UPGRADABLE_VERSION) && this.fileCount <= MAX_FILES && d.readUInt32LE(META_NAME_LEN_AT) <= NAME_BYTES;
  }

  get version(): number {
    return this.seg.data.readUInt32LE(4);
  }

  /** Sets the version field to FORMAT_VERSION (format.ts, section 3). */
  upgrade(): ByteRange {
    this.seg.data.writeUInt32LE(FORMAT_VERSION, 4);
    return { seg: this.seg, offset: 4, length: 4 };
  }

  get name(): string {
    return this.seg.data.toString("utf8", META_NAME_AT, META_NAME_AT + this.seg.data.readUInt32LE(META_NAME_LEN_AT));
  }

  get codec(): string {
    return this.seg.data.toString("utf8", META_CODEC_AT, META_CODEC_AT + Math.min(CODEC_BYTES, this.seg.data.readUInt32LE(META_CODEC_LEN_AT)));
  }

  get fileCount(): number {
    return this.seg.data.readUInt32LE(META_FILE_COUNT_AT);
  }

  get nextFile(): number {
    return this.seg.data.readUInt32LE(META_NEXT_FILE_AT);
  }

  files(): FileEntry[] {
    const out: FileEntry[] = [];
    for (let i = 0; i < this.fileCount; i++) {
      const at = FILES_AT + i * FILE_ENTRY_SIZE;
      out.push({ n: this.seg.data.readUInt32LE(at), slots: this.seg.data.readUInt32LE(at + FILE_SLOTS_AT), watermark: this.seg.data.readDoubleLE(at + FILE_WATERMARK_AT) });
    }
    return out;
  }

  /** Adds data file n, whose index has `slots` entries, at the end of the table. */
  addFile(n: number, slots: number): ByteRange[] {
    const d = this.seg.data;
    const i = this.fileCount;
    const at = FILES_AT + i * FILE_ENTRY_SIZE;
    d.writeUInt32LE(n, at);
    d.writeUInt32LE(slots, at + FILE_SLOTS_AT);
    d.writeDoubleLE(0, at + FILE_WATERMARK_AT);
    d.writeUInt32LE(i + 1, META_FILE_COUNT_AT);
    d.writeUInt32LE(n + 1, META_NEXT_FILE_AT);
    return [
      { seg: this.seg, offset: META_FILE_COUNT_AT, length: 8 },
      { seg: this.seg, offset: at, length: FILE_ENTRY_SIZE },
    ];
  }

  setSlots(slot: number, slots: number): ByteRange {
    const at = FILES_AT + slot * FILE_ENTRY_SIZE + FILE_SLOTS_AT;
    this.seg.data.writeUInt32LE(slots, at);
    return { seg: this.seg, offset: at, length: 4 };
  }

  setWatermark(slot: number, watermark: number): ByteRange {
    const at = FILES_AT + slot * FILE_ENTRY_SIZE + FILE_WATERMARK_AT;
    this.seg.data.writeDoubleLE(watermark, at);
    return { seg: this.seg, offset: at, length: 8 };
  }

  /** Removes the k oldest files from the table. */
  dropOldest(k: number): ByteRange[] {
    const d = this.seg.data;
    const n = this.fileCount;
    d.copyWithin(FILES_AT, FILES_AT + k * FILE_ENTRY_SIZE, FILES_AT + n * FILE_ENTRY_SIZE);
    d.fill(0, FILES_AT + (n - k) * FILE_ENTRY_SIZE, FILES_AT + n * FILE_ENTRY_SIZE);
    d.writeUInt32LE(n - k, META_FILE_COUNT_AT);
    return [
      { seg: this.seg, offset: META_FILE_COUNT_AT, length: 4 },
      { seg: this.seg, offset: FILES_AT, length: n * FILE_ENTRY_SIZE },
    ];
  }

  consumers(): Map<string, number> {
    const out = new Map<string, number>();
    const d = this.seg.data;
    for (let s = 0; s < MAX_CONSUMERS; s++) {
      const at = CONSUMERS_AT + s * CONSUMER_SIZE;
      const len = d.readUInt16LE(at);
      if (len === 0 || len > CONSUMER_NAME_BYTES) continue;
      out.set(d.toString("utf8", at + CONSUMER_NAME_AT, at + CONSUMER_NAME_AT + len), d.readDoubleLE(at + CONSUMER_CURSOR_AT));
    }
    return out;
  }

  /** Sets a consumer's cursor, taking a free slot for a new consumer; undefined when all are taken. */
  setCursor(name: string, after: number): ByteRange | undefined {
    const d = this.seg.data;
    const bytes = Buffer.from(name, "utf8");
    let free = -1;
    for (let s = 0; s < MAX_CONSUMERS; s++) {
      const at = CONSUMERS_AT + s * CONSUMER_SIZE;
      const len = d.readUInt16LE(at);
      if (len === 0) {
        if (free < 0) free = s;
        continue;
      }
      if (len === bytes.length && d.compare(bytes, 0, len, at + CONSUMER_NAME_AT, at + CONSUMER_NAME_AT + len) === 0) {
        d.writeDoubleLE(after, at + CONSUMER_CURSOR_AT);
        return { seg: this.seg, offset: at + CONSUMER_CURSOR_AT, length: 8 };
      }
    }
    if (free < 0) return undefined;
    const at = CONSUMERS_AT + free * CONSUMER_SIZE;
    d.fill(0, at, at + CONSUMER_SIZE);
    d.writeUInt16LE(bytes.length, at);
    bytes.copy(d, at + CONSUMER_NAME_AT);
    d.writeDoubleLE(after, at + CONSUMER_CURSOR_AT);
    return { seg: this.seg, offset: at, length: CONSUMER_SIZE };
  }
}
