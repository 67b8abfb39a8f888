/**
 * The on-disk format of persistent channels.
 *
 * 1. CONCEPTS
 *
 * A runtime with a dataDir keeps one LRVM instance (runtime/lrvm) in `dataDir/lrvm`, and for
 * each persistent channel, whose name becomes a safe token (runtime/token.ts):
 *
 *   dataDir/channels/<token>/<n>.data   item DATA FILES, append-only, n = 1, 2, 3 ...
 *   dataDir/channels/<token>/creating   present only while the channel is being created (4 (5))
 *   LRVM segment "<token>.meta"         the channel's META segment: name, codec, the table of
 *                                       data files with each one's COMMITTED WATERMARK (bytes),
 *                                       and the named consumers' durable CURSORS
 *   LRVM segment "<token>.idx.<n>"      the TIME INDEX of data file n: entries sorted by ts
 *
 * An item is a RECORD in a data file. An item is COMMITTED when the LRVM transaction that
 * holds its index entry and the watermark past its record has committed. Only committed items
 * exist: bytes past a file's watermark are garbage and are cut off when the channel opens (a
 * tail of zeros, written ahead of small appends to spare fdatasync a size change, silently).
 * A data file is closed to appends (ROLLED) once it holds IDX_CAPACITY items or
 * FILE_ROLL_BYTES bytes; history retention drops whole data files, oldest first.
 *
 * 2. LAYOUTS (all integers little-endian; timestamps and offsets are float64, exact for the
 *    safe integers they hold)
 *
 * Data record (RECORD_HEADER bytes, then the payload):
 *   offset  size  field
 *        0     4  magic RECORD_MAGIC
 *        4     4  payload length in bytes
 *        8     8  ts (µs since the epoch)
 *       16     4  crc: zlib.crc32 of bytes [4, 16) continued over the payload
 *       20     -  payload: the item's value encoded by the channel's codec
 *
 * Index segment "<token>.idx.<n>": a header, then slots; it starts with a power of two of
 * slots, at least IDX_INITIAL and enough for the batch that creates the file, and at least
 * doubles when it grows (the LRVM extends a segment with zeros), up to IDX_CAPACITY.
 *   offset  size  field
 *        0     4  magic IDX_MAGIC
 *        4     4  version FORMAT_VERSION
 *        8     4  count: entries in use
 *       12     4  n: the data file this index belongs to
 *       16     8  durable mark: bytes of data file n that were on disk (fdatasynced) before
 *                 the transaction that last wrote this index began (section 5)
 *       24     8  reserved, zero
 *       32     -  entries, ENTRY_SIZE each, sorted by ts, strictly increasing:
 *                   0  8  ts
 *                   8  8  offset of the record in data file n
 *                  16  4  record length (header + payload)
 *                  20  4  the record's crc, so a read checks that index and data agree
 *
 * Meta segment "<token>.meta" (META_SIZE bytes):
 *   offset  size  field
 *        0     4  magic META_MAGIC
 *        4     4  version FORMAT_VERSION
 *        8     4  name length in bytes;  12: name, UTF-8, NAME_BYTES bytes reserved
 *      268     4  codec name length;    272: codec name, CODEC_BYTES bytes reserved
 *      304     4  file count: entries in use in the file table
 *      308     4  next data file number
 *      312     8  reserved, zero
 *      320     -  file table, MAX_FILES entries of FILE_ENTRY_SIZE, oldest file first:
 *                   0  4  n
 *                   4  4  index slots: the size of segment "<token>.idx.<n>" in entries
 *                   8  8  committed watermark: bytes of file n that hold committed records
 *  CONSUMERS_AT    -  consumer table, MAX_CONSUMERS slots of CONSUMER_SIZE:
 *                   0  2  name length in bytes (0 = free slot)
 *                   2  6  reserved, zero
 *                   8 64  name, UTF-8
 *                  72  8  cursor: ts of the last item the consumer committed; -1 before any
 *
 * 3. MAGIC AND VERSION: see the constants below; a segment with another magic or version is
 *    refused (PTS_STORE_CORRUPT), never guessed at. Version 1 (no durable mark: every batch
 *    was ordered, so its watermarks were durable) is upgraded at open, in one transaction that
 *    sets each index's durable mark to its file's watermark and every version field to 2.
 *
 * 4. VALIDITY
 *   (1) A record is valid when its magic is RECORD_MAGIC, it lies wholly below the file's
 *       watermark, its length matches its index entry, and
 *         crc == crc32(bytes[4..16) ++ payload) == the index entry's crc.
 *   (2) An index entry is valid when slot < count; entries are strictly increasing in ts.
 *   (3) An invalid record below its index's durable mark is damage (media or outside edits):
 *       it is skipped, counted in stats().corrupt, and reported through the runtime's onError.
 *       Every other item stays readable.
 *   (4) Entries whose records lie at or past the durable mark belong to the last batch that
 *       wrote the file, whose data fdatasync ran alongside its commit (section 5). They are
 *       checked when the channel opens (magic, length, ts and crc, wholly within the file);
 *       the intact bytes are written again and fdatasync'ed (a page whose writeback failed
 *       reads back but may never reach the disk) before the mark moves up over them. The
 *       lowest offset of an invalid one starts a TORN TAIL, an unacknowledged batch that a
 *       power loss caught. Its entries, and every entry at or past that offset, are removed and
 *       the watermark is set there, in one transaction; the cut bytes are reported as
 *       uncommitted, not as damage.
 *   (5) A meta segment whose magic is zero holds no channel. A crash between mapping it and
 *       its first commit leaves one, next to the CREATION MARKER `dataDir/channels/<token>/
 *       creating` (an empty file, made durable before the meta segment is created and removed
 *       after the first commit); damage can leave one too, with no marker. Only an open that
 *       creates the channel, with the marker there, initialises it, and then removes the files
 *       its empty table does not name; any other open is refused (PTS_STORE_CORRUPT) and
 *       changes nothing, so damage to the meta segment never costs the data files. A marker
 *       found next to a valid meta (a crash just after the first commit) is removed, durably.
 *       Data files with no meta segment at all (the LRVM directory lost or replaced) are
 *       refused too, not taken for a new channel.
 *
 * 5. CRASH AND SYNC ORDERING. A batch of puts (or a checkpoint, or a transfer) is made durable
 *    in one of two orders. Either way its operations resolve only after both the data
 *    fdatasync and the LRVM commit have completed.
 *   ORDERED (a batch that moves a cursor, writes one operation into several channels, creates
 *   a data file, inserts out of time order or replaces a stored ts, drops history, or writes
 *   more than 1 MiB to a channel, which bounds what open checks past a durable mark):
 *   (a) records are written at the file's watermark (over any garbage left by a crash);
 *   (b) each data file written is fdatasync'ed (and the channel directory fsync'ed when a file
 *       was created);
 *   (c) one LRVM transaction sets the index entries, the new watermarks, the durable marks
 *       (= the new watermarks), the file table and the cursors, and commits with flush.
 *   A crash before (c) completes leaves the LRVM state as it was: the new records lie past the
 *   watermark and are cut off at open.
 *   OVERLAPPED (every other batch: appends, each operation into one channel, which a crash may
 *   drop whole without breaking any other promise): (a), then the fdatasync of (b) and the
 *   commit of (c) run at the same time, the durable marks being what earlier fdatasyncs covered
 *   (the previous batch's end), never above where this batch starts; an fdatasync that was
 *   still running when a failed batch was rewound counts for nothing. When the commit succeeds
 *   but the fdatasync fails, a second transaction takes the batch back (its index entries and
 *   watermarks) before the journal refuses every later write. A crash in the batch can leave a
 *   committed index entry whose record is not on disk; it lies past its durable mark, and
 *   section 4 (4) cuts it off, with the rest of its unacknowledged batch. Everything below the
 *   mark was acknowledged or synced.
 *   Dropping history commits the shorter file table first and unlinks files and destroys index
 *   segments afterwards; leftovers of a crash in between are removed at open.
 *
 * 6. TRANSIENT vs PERSISTENT. Persistent: data files up to their watermarks, the LRVM segments.
 *    Transient: the in-memory live window, pending checkpoint items, consumers' in-memory
 *    positions past their durable cursor; all rebuilt or re-read after a crash.
 */

export const FORMAT_VERSION = 2;
/** The oldest version open() upgrades (section 3). */
export const UPGRADABLE_VERSION = 1;

export const RECORD_MAGIC = 0x52535450; // "PTSR" little-endian
// The header's size and its length and crc offsets live in recordCrcs.js (plain JavaScript, for
// the crc worker), and are the same constants here.
export { RECORD_CRC_AT, RECORD_HEADER, RECORD_LENGTH_AT } from "./recordCrcs.js";
export const RECORD_TS_AT = 8;

export const IDX_MAGIC = 0x49535450; // "PTSI"
export const IDX_HEADER = 32;
export const IDX_COUNT_AT = 8;
export const IDX_FILE_AT = 12;
export const IDX_DURABLE_AT = 16;
export const ENTRY_SIZE = 24;
export const ENTRY_OFFSET_AT = 8;
export const ENTRY_LENGTH_AT = 16;
export const ENTRY_CRC_AT = 20;
/** Items per data file; one index segment holds them all. */
export const IDX_CAPACITY = 65_536;
/** Slots of a new index segment: large enough that most files grow it at most three times. */
export const IDX_INITIAL = 8192;
export const indexBytes = (slots: number): number => IDX_HEADER + slots * ENTRY_SIZE;

/** A data file takes no new records past this size. */
export const FILE_ROLL_BYTES = 64 * 1024 * 1024;

export const META_MAGIC = 0x4d535450; // "PTSM"
export const META_NAME_LEN_AT = 8;
export const META_NAME_AT = 12;
export const NAME_BYTES = 256;
export const META_CODEC_LEN_AT = META_NAME_AT + NAME_BYTES;
export const META_CODEC_AT = META_CODEC_LEN_AT + 4;
export const CODEC_BYTES = 32;
export const META_FILE_COUNT_AT = META_CODEC_AT + CODEC_BYTES;
export const META_NEXT_FILE_AT = META_FILE_COUNT_AT + 4;
export const FILES_AT = META_NEXT_FILE_AT + 12;
export const FILE_ENTRY_SIZE = 16;
export const FILE_SLOTS_AT = 4;
export const FILE_WATERMARK_AT = 8;
export const MAX_FILES = 1024;
export const CONSUMERS_AT = FILES_AT + MAX_FILES * FILE_ENTRY_SIZE;
export const CONSUMER_SIZE = 80;
export const CONSUMER_NAME_AT = 8;
export const CONSUMER_NAME_BYTES = 64;
export const CONSUMER_CURSOR_AT = 72;
export const MAX_CONSUMERS = 64;
export const META_SIZE = CONSUMERS_AT + MAX_CONSUMERS * CONSUMER_SIZE;

export const metaSegment = (token: string): string => `${token}.meta`;
export const indexSegment = (token: string, n: number): string => `${token}.idx.${n}`;
export const dataFileName = (n: number): string => `${n}.data`;
