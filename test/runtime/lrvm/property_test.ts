/**
 * A property test: random interleavings of begin, setRange (alone or followed by a write of
 * the range, the usual pattern), write anywhere, commit (flush or not),
 * abort, truncate, reopen and crash agree with an in-memory model of LRVM.
 *
 * The model keeps the expected contents of each mapped buffer, the open transactions with
 * their ranges and undo copies, and the history of committed images (history[k] is the
 * image after record k; sequence numbers and history indexes coincide). A reopen flushes and
 * must recover the latest image; a crash (a copy of the files, as a SIGKILL leaves them) must
 * recover history[k] for some k at or after the last point known durable.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import t from "tap";
import fc from "fast-check";
import { Rvm, RvmError } from "../../../runtime/lrvm/index.ts";
import type { Segment, Transaction } from "../../../runtime/lrvm/index.ts";
import { crashCopy } from "./helpers.ts";

const SIZE = 16;
const NAMES = ["a", "b"] as const;

type Op =
  | { op: "begin"; restore: boolean }
  | { op: "set"; tx: number; seg: number; off: number; len: number; value: number }
  | { op: "write"; seg: number; off: number; len: number; value: number }
  | { op: "commit"; tx: number; flush: boolean }
  | { op: "abort"; tx: number }
  | { op: "truncate" }
  | { op: "reopen" }
  | { op: "crash" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("begin" as const), restore: fc.boolean() }) },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      tx: fc.nat(3),
      seg: fc.nat(1),
      off: fc.integer({ min: -1, max: SIZE }),
      len: fc.integer({ min: -1, max: 8 }),
      value: fc.integer({ min: 0, max: 255 }), // 0: declare only; else write the range after declaring it
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("write" as const),
      seg: fc.nat(1),
      off: fc.nat(SIZE - 1),
      len: fc.integer({ min: 1, max: 10 }),
      value: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("commit" as const), tx: fc.nat(3), flush: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("abort" as const), tx: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ op: "truncate" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "crash" as const }) },
);

interface ModelRange {
  seg: number;
  lo: number;
  hi: number;
  undo: Buffer;
}
interface ModelTx {
  real: Transaction;
  restore: boolean;
  ended: boolean;
  ranges: ModelRange[];
}
type Image = [Buffer, Buffer];

const clone = (img: readonly Buffer[]): Image => [Buffer.from(img[0] as Buffer), Buffer.from(img[1] as Buffer)];

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof RvmError) return err.code;
    throw err;
  }
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof RvmError) return err.code;
    throw err;
  }
}

/** Mostly an open transaction (tx 0-2); tx 3 picks among all, ended ones included. */
function pick(txs: ModelTx[], tx: number): ModelTx | undefined {
  const from = tx === 3 ? txs : txs.filter((m) => !m.ended);
  return from[tx % Math.max(from.length, 1)];
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

async function runScenario(ops: Op[], threshold: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pts-lrvm-prop-"));
  const opened: Rvm[] = [];
  try {
    const open = async (dir: string): Promise<{ rvm: Rvm; segs: Segment[] }> => {
      const rvm = await Rvm.open(dir, { truncateThreshold: threshold });
      opened.push(rvm);
      const segs = [await rvm.map("a", SIZE), await rvm.map("b", SIZE)];
      return { rvm, segs };
    };
    let { rvm, segs } = await open(path.join(root, "d0"));
    let mem: Image = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
    let history: Image[] = [clone(mem)];
    let durable = 0; // history index known to be on disk
    let txs: ModelTx[] = [];
    let dirs = 0;

    /** Ends every open transaction of the Rvm being left behind, then closes it. */
    const leave = async (): Promise<void> => {
      for (const m of txs) if (!m.ended) await (m.restore ? Promise.resolve(m.real.abort()) : m.real.commit({ flush: false }));
      await rvm.close();
    };

    for (const op of ops) {
      switch (op.op) {
        case "begin": {
          txs.push({ real: rvm.begin({ restore: op.restore }), restore: op.restore, ended: false, ranges: [] });
          break;
        }
        case "set": {
          if (!txs.some((o) => !o.ended)) txs.push({ real: rvm.begin(), restore: true, ended: false, ranges: [] }); // keep one open
          const m = pick(txs, op.tx);
          if (m === undefined) break;
          const seg = segs[op.seg] as Segment;
          let expect: string | null = null;
          if (m.ended) expect = "ETX_ENDED";
          else if (op.off < 0 || op.len < 0 || op.off + op.len > SIZE) expect = "ERANGE";
          else if (op.len > 0) {
            const hi = op.off + op.len;
            const clash = txs.some((o) => o !== m && !o.ended && o.ranges.some((r) => r.seg === op.seg && r.lo < hi && op.off < r.hi));
            if (clash) expect = "ECONFLICT";
          }
          const got = codeOf(() => m.real.setRange(seg, op.off, op.len));
          check(got === expect, `setRange(${op.seg}, ${op.off}, ${op.len}): got ${got}, expected ${expect}`);
          if (expect === null && op.len > 0) {
            m.ranges.push({ seg: op.seg, lo: op.off, hi: op.off + op.len, undo: Buffer.from((mem[op.seg] as Buffer).subarray(op.off, op.off + op.len)) });
            if (op.value > 0) {
              seg.data.fill(op.value, op.off, op.off + op.len);
              (mem[op.seg] as Buffer).fill(op.value, op.off, op.off + op.len);
            }
          }
          break;
        }
        case "write": {
          const end = Math.min(SIZE, op.off + op.len);
          (segs[op.seg] as Segment).data.fill(op.value, op.off, end);
          (mem[op.seg] as Buffer).fill(op.value, op.off, end);
          break;
        }
        case "commit": {
          const m = pick(txs, op.tx);
          if (m === undefined) break;
          const got = await asyncCodeOf(m.real.commit({ flush: op.flush }));
          if (m.ended) {
            check(got === "ETX_ENDED", `commit of an ended transaction: got ${got}`);
            break;
          }
          check(got === null, `commit: got ${got}`);
          m.ended = true;
          if (m.ranges.length > 0) {
            const next = clone(history.at(-1) as Image);
            for (const r of m.ranges) (mem[r.seg] as Buffer).copy(next[r.seg] as Buffer, r.lo, r.lo, r.hi);
            history.push(next);
          }
          if (op.flush) durable = history.length - 1;
          break;
        }
        case "abort": {
          const m = pick(txs, op.tx);
          if (m === undefined) break;
          const expect = m.ended ? "ETX_ENDED" : m.restore ? null : "ENO_RESTORE";
          const got = codeOf(() => m.real.abort());
          check(got === expect, `abort: got ${got}, expected ${expect}`);
          if (expect === null) {
            for (let i = m.ranges.length - 1; i >= 0; i--) {
              const r = m.ranges[i] as ModelRange;
              r.undo.copy(mem[r.seg] as Buffer, r.lo);
            }
            m.ended = true;
          }
          break;
        }
        case "truncate": {
          await rvm.truncate();
          durable = history.length - 1;
          break;
        }
        case "reopen":
        case "crash": {
          if (op.op === "reopen") {
            await rvm.flush();
            durable = history.length - 1;
          }
          const copy = crashCopy(rvm.dir, path.join(root, `d${++dirs}`));
          await leave();
          ({ rvm, segs } = await open(copy));
          const k = rvm.recovery.lastSeq;
          check(k >= durable && k <= history.length - 1, `${op.op}: recovered up to record ${k}, durable ${durable}, committed ${history.length - 1}`);
          check(rvm.recovery.stoppedAt === null, `${op.op}: damage reported: ${JSON.stringify(rvm.recovery.stoppedAt)}`);
          history = history.slice(0, k + 1);
          mem = clone(history[k] as Image);
          durable = k;
          txs = [];
          break;
        }
      }
      for (const i of [0, 1]) {
        check((segs[i] as Segment).data.equals(mem[i] as Buffer), `after ${JSON.stringify(op)}: segment ${NAMES[i]} differs from the model`);
      }
    }
    // Finally: flush, reopen, and the latest image must be there.
    await rvm.flush();
    const copy = crashCopy(rvm.dir, path.join(root, "final"));
    await leave();
    const last = await open(copy);
    check(last.rvm.recovery.lastSeq === history.length - 1, `final: ${last.rvm.recovery.lastSeq} records, expected ${history.length - 1}`);
    const want = history.at(-1) as Image;
    for (const i of [0, 1]) check((last.segs[i] as Segment).data.equals(want[i] as Buffer), `final: segment ${NAMES[i]} differs`);
  } finally {
    for (const r of opened) await r.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

t.test("property - random interleavings agree with the in-memory model", async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }), fc.constantFrom(0, 512), async (ops, threshold) => {
      runs++;
      await runScenario(ops, threshold);
    }),
    { numRuns: 100, seed: 1993 },
  );
  t.equal(runs, 100, "100 random scenarios (with and without automatic truncation) matched the model");
});
