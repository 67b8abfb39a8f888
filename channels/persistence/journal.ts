/**
 * Journal: the runtime's one LRVM instance and the group-commit loop through which every
 * persistent channel's writes become durable.
 *
 * Writes are queued as operations; each operation stores items into one or more channels and
 * may move named consumers' durable cursors. Operations that arrive while a batch is being
 * made durable wait and form the next batch, so concurrent puts, checkpoints and stage
 * transfers share one data-file fdatasync per file and one LRVM commit. Everything one
 * operation holds commits in one LRVM transaction: that is what makes "take from the input,
 * put into the output, advance the cursor" exactly-once across a crash.
 *
 * Ordering (format.ts, section 5): records are written, then fdatasync'ed before the LRVM
 * transaction that publishes them commits (ordered), or while it commits (overlapped: a batch
 * a crash may drop whole, whose index carries the durable mark that open() checks past); an
 * operation resolves only after both the fdatasync and the commit.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { nameToken } from "../../runtime/index.ts";
import { Rvm, syncDir } from "../../runtime/lrvm/index.ts";
import { ChannelMeta } from "./channelMeta.ts";
import { META_SIZE, metaSegment } from "./format.ts";
import { ChannelStore, type History, type WritePlan } from "./channelStore.ts";
import type { ByteRange } from "./fileIndex.ts";
import { dropSpareBuffers } from "./pendingLog.ts";
import type { RecordChunk } from "./recordChunk.ts";

export type StoreWrite = { store: ChannelStore; chunks: RecordChunk[]; history?: History };
export type CursorMove = { store: ChannelStore; consumer: string; after: number };
export type JournalOp = { writes: StoreWrite[]; cursors: CursorMove[] };

type Queued = { op: JournalOp; resolve: () => void; reject: (err: unknown) => void };

export class Journal {
  private queue: Queued[] = [];
  /** Set when a commit failed after the LRVM state was changed in memory: nothing more is written. */
  private broken: unknown;
  private running: Promise<void> | undefined;

  private constructor(
    readonly dataDir: string,
    readonly rvm: Rvm,
  ) {}

  static async open(dataDir: string): Promise<Journal> {
    mkdirSync(join(dataDir, "channels"), { recursive: true });
    return new Journal(dataDir, await Rvm.open(join(dataDir, "lrvm")));
  }

  submit(op: JournalOp): Promise<void> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      // Started after the current synchronous work, not inside it: a caller submitting many
      // operations in one go (a host storing a batch of remote puts) then shares one commit,
      // where a synchronous start would commit the first alone.
      this.running ??= Promise.resolve().then(() => this.drain());
    });
  }

  /** Names of the channels stored here; `open` are channels whose meta segment is mapped now. */
  async storedNames(open: readonly string[]): Promise<string[]> {
    const openByMeta = new Map(open.map((name) => [metaSegment(nameToken(name)), name]));
    const names: string[] = [];
    for (const seg of this.rvm.segmentNames()) {
      if (!seg.endsWith(".meta")) continue;
      const known = openByMeta.get(seg);
      if (known !== undefined) {
        names.push(known);
        continue;
      }
      const mapped = await this.rvm.map(seg, META_SIZE);
      const meta = new ChannelMeta(mapped);
      if (meta.isValid) names.push(meta.name);
      await this.rvm.unmap(mapped);
    }
    return names.sort();
  }

  /** Resolves once everything submitted so far is durable. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    await this.settle();
    dropSpareBuffers();
    await this.rvm.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.commit(batch.map((q) => q.op));
          for (const q of batch) q.resolve();
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async commit(ops: JournalOp[]): Promise<void> {
    const writes = new Map<ChannelStore, { chunks: RecordChunk[]; history?: History }>();
    for (const op of ops) {
      for (const w of op.writes) {
        const entry = writes.get(w.store) ?? { chunks: [], history: w.history };
        for (const c of w.chunks) entry.chunks.push(c); // not push(...): the argument limit
        writes.set(w.store, entry);
      }
    }
    const plans: { plan: WritePlan; history?: History }[] = [];
    try {
      for (const [store, w] of writes) plans.push({ plan: await store.write(coalesce(w.chunks)), history: w.history });
      const files = plans.flatMap((p) => ChannelStore.dirtyFiles(p.plan));
      // Each operation alone in one channel, no cursor: a crash that drops the batch whole
      // breaks no exactly-once step (format.ts, section 5).
      const overlap = ops.every((op) => op.cursors.length === 0 && op.writes.length <= 1) && plans.every((p) => p.plan.store.overlappable(p.plan, p.history));
      if (!overlap) {
        await allSynced(files.map((f) => f.sync()));
        const created = plans.filter((p) => p.plan.created.length > 0);
        if (created.length > 0) await Promise.all(created.map((p) => syncDir(p.plan.store.dir)));
      }
      const ranges: ByteRange[] = [];
      const dropped = plans.map(({ plan, history }) => {
        const applied = plan.store.apply(plan, history, overlap);
        for (const r of applied.ranges) ranges.push(r);
        return applied.dropped;
      });
      for (const op of ops) for (const c of op.cursors) ranges.push(c.store.cursorRange(c.consumer, c.after));
      const tx = this.rvm.begin({ restore: false });
      for (const r of ranges) tx.setRange(r.seg, r.offset, r.length);
      // Overlapped, the data fdatasyncs start first, in the thread pool, so that they run while
      // the commit writes and syncs the log (on this thread while its fdatasync is fast).
      const syncing = overlap ? allSynced(files.map((f) => f.sync(true))) : undefined;
      const [committed, synced] = await Promise.allSettled([tx.commit({ flush: true }), syncing]);
      const failed = committed.status === "rejected" ? committed : synced.status === "rejected" ? synced : undefined;
      if (failed) {
        if (overlap && committed.status === "fulfilled") await this.uncommit(plans);
        // The mapped segments now differ from what is durable, or a committed entry's record
        // may not be: refuse every later write. Reopening checks and cuts (format.ts, section 4).
        this.broken = failed.reason;
        throw failed.reason;
      }
      for (const [i, { plan }] of plans.entries()) await plan.store.committed(plan, dropped[i]);
    } catch (err) {
      for (const { plan } of plans) await plan.store.rewind(plan);
      throw err;
    }
  }

  /**
   * Commits the cut of an overlapped batch whose commit succeeded but whose data sync failed
   * (format.ts, section 5). Should this commit fail too, the batch's entries stay committed past
   * their durable marks, and the next open writes their records again and syncs them, or cuts.
   */
  private async uncommit(plans: { plan: WritePlan }[]): Promise<void> {
    const tx = this.rvm.begin({ restore: false });
    for (const { plan } of plans) for (const r of plan.store.uncommit(plan)) tx.setRange(r.seg, r.offset, r.length);
    await tx.commit({ flush: true }).catch(() => undefined);
  }
}

/** Chunks smaller than this are merged with their neighbours before they are written. */
const SMALL_CHUNK = 64 * 1024;
/** The largest chunk merging makes. */
const MERGED_CHUNK = 1024 * 1024;

/**
 * Runs of small chunks (sync puts bring one record each) merged into one, so that a batch of
 * many producers' puts takes one write, not one per put; large chunks pass as they are.
 */
function coalesce(chunks: RecordChunk[]): RecordChunk[] {
  if (chunks.length < 2) return chunks;
  const out: RecordChunk[] = [];
  let group: RecordChunk[] = [];
  let bytes = 0;
  const close = () => {
    if (group.length === 1) out.push(group[0]);
    else if (group.length > 1) {
      const merged = Buffer.allocUnsafe(bytes);
      let at = 0;
      let count = 0;
      for (const c of group) {
        at += c.bytes.copy(merged, at, 0, c.length);
        count += c.count;
      }
      out.push({ bytes: merged, length: bytes, count });
    }
    group = [];
    bytes = 0;
  };
  for (const c of chunks) {
    // A chunk the crc worker has is never merged: its own write awaits the worker's job. (The
    // worker takes only chunks of MIN_CRC_JOB bytes, SMALL_CHUNK today: this holds should the
    // two ever differ.)
    const whole = c.length >= SMALL_CHUNK || c.crcsSet !== undefined;
    if (whole || bytes + c.length > MERGED_CHUNK) close();
    if (whole) out.push(c);
    else {
      group.push(c);
      bytes += c.length;
    }
  }
  close();
  return out;
}

/**
 * Waits for every fdatasync, then fails with the first failure: a rewind after a failed batch
 * must not run while another file's sync is still in flight.
 */
async function allSynced(syncs: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(syncs)).find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
}
